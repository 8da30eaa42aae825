import { api, toast } from "./api.js";

document.getElementById("origin").textContent = location.origin;
document.getElementById("new-token").addEventListener("click", async () => {
  if (!confirm("Create a new API token? The current one stops working.")) return;
  try {
    const { token } = await api("/api/current-user/reset-token", { method: "POST" });
    const box = document.getElementById("token");
    box.textContent = token;
    box.hidden = false;
    toast("Copy the token now: it is not shown again.");
  } catch (err) {
    toast(err.message, "error");
  }
});
