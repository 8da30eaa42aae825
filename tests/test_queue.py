import threading
import time

import pytest

from tests.conftest import Api, make_user, pick, seed_tasks


@pytest.fixture
def labelers(client, store):
    return [Api(client, make_user(store, f"l{i}@example.com", "annotator")) for i in range(4)]


def test_sequential_queue_and_done(api, project, labelers):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(3)).json()["task_ids"]
    a = labelers[0]
    seen = []
    for _ in range(3):
        task = a.get(f"/api/projects/{project}/next").json()
        assert a.get(f"/api/projects/{project}/next").json()["id"] == task["id"]  # asking again: same claim
        seen.append(task["id"])
        a.post(f"/api/tasks/{task['id']}/annotations", json={"result": pick()})
    assert seen == ids
    r = a.get(f"/api/projects/{project}/next")
    assert r.status_code == 404 and "No more tasks" in r.json()["detail"]


def test_overlap_gives_each_task_to_n_distinct_labelers(api, project, labelers):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    a, b, c = labelers[:3]
    assert a.get(f"/api/projects/{project}/next").json()["id"] == tid
    assert b.get(f"/api/projects/{project}/next").json()["id"] == tid
    assert c.get(f"/api/projects/{project}/next").status_code == 404  # both slots claimed
    a.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
    assert a.get(f"/api/projects/{project}/next").status_code == 404  # done it already
    b.post(f"/api/tasks/{tid}/annotations", json={"result": pick("right")})
    assert api.get(f"/api/tasks/{tid}").json()["is_labeled"] is True


def test_skipped_task_goes_to_others_not_back_to_the_skipper(api, project, labelers):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    a, b = labelers[:2]
    a.get(f"/api/projects/{project}/next")
    a.post(f"/api/tasks/{tid}/annotations", json={"result": [], "was_cancelled": True})
    assert a.get(f"/api/projects/{project}/next").status_code == 404
    assert b.get(f"/api/projects/{project}/next").json()["id"] == tid


def test_expired_claims_are_offered_again(api, project, labelers, app):
    app.state.settings.lock_ttl = 0.2
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    a, b = labelers[:2]
    assert a.get(f"/api/projects/{project}/next").json()["id"] == tid
    assert b.get(f"/api/projects/{project}/next").status_code == 404
    time.sleep(0.3)
    assert b.get(f"/api/projects/{project}/next").json()["id"] == tid


def test_concurrent_labelers_never_share_the_last_slot(api, project, live_server, store):
    import httpx

    api.post(f"/api/projects/{project}/import", json=seed_tasks(10))
    accounts = [make_user(store, f"c{i}@example.com", "annotator") for i in range(8)]
    got: dict[int, list[tuple[int, int]]] = {}  # labeler -> (task, submit status) of each task offered
    last: dict[int, int] = {}  # labeler -> the status of the /next that ended their loop
    errors: list[Exception] = []
    barrier = threading.Barrier(len(accounts))

    def work(account):
        try:
            with httpx.Client(base_url=live_server.url, headers=account.headers, timeout=30) as http:
                barrier.wait(30)
                mine = got[account.id] = []
                while (offer := http.get(f"/api/projects/{project}/next")).status_code == 200:
                    tid = offer.json()["id"]
                    submit = http.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
                    mine.append((tid, submit.status_code))
                last[account.id] = offer.status_code
        except Exception as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not [t for t in threads if t.is_alive()], "a labeler was still working after 60 s"
    assert errors == []
    assert last == {a.id: 404 for a in accounts}  # everyone stopped at "no more tasks"
    offered = [(tid, status) for mine in got.values() for tid, status in mine]
    assert {status for _, status in offered} == {201}
    everything = [tid for tid, _ in offered]
    assert len(everything) == 10 and len(set(everything)) == 10  # each task annotated exactly once
    tasks = api.get(f"/api/tasks?project={project}").json()["tasks"]
    assert all(t["total_annotations"] == 1 for t in tasks)


def test_keep_is_bounded_so_one_labeler_cannot_hold_every_slot(store, api, project, labelers):
    from sqlalchemy import func, select

    from preflab.store.schema import task_locks

    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(8)).json()["task_ids"]
    greedy, other = labelers[:2]
    held: list[int] = []
    for _ in range(6):  # ask again and again, naming every task offered so far
        keep = "&".join(f"keep={t}" for t in reversed(held))
        held.append(greedy.get(f"/api/projects/{project}/next?{keep}").json()["id"])
    assert held == ids[:6]  # named tasks are never offered again...
    with store.read() as conn:
        claims = conn.execute(
            select(func.count()).select_from(task_locks).where(task_locks.c.user_id == greedy.account.id)
        ).scalar_one()
    assert claims == 4  # ...but only the newest and the first three named keep their claims
    assert other.get(f"/api/projects/{project}/next").json()["id"] == ids[0]  # released: open again
    too_many = greedy.get(f"/api/projects/{project}/next?" + "&".join(f"keep={i}" for i in range(1, 22)))
    assert too_many.status_code == 400 and "at most 20" in too_many.json()["detail"]


def test_asking_again_does_not_extend_a_claim(store, api, project, labelers):
    from sqlalchemy import select

    from preflab.store import projects as project_store
    from preflab.store import queue
    from preflab.store.schema import task_locks

    api.post(f"/api/projects/{project}/import", json=seed_tasks(2))
    user = labelers[0].account.id
    with store.write() as conn:
        row = project_store.get(conn, project)
        first = queue.next_task(conn, row, user, ttl=60)
        expires = conn.execute(select(task_locks.c.expires_at)).scalar_one()
    time.sleep(0.05)
    with store.write() as conn:
        assert queue.next_task(conn, row, user, ttl=60) == first
        assert conn.execute(select(task_locks.c.expires_at)).scalar_one() == expires


def test_a_cross_site_get_of_next_claims_nothing(client, store, api, project, labelers):
    [tid] = api.post(f"/api/projects/{project}/import", json=seed_tasks(1)).json()["task_ids"]
    victim = labelers[0].account
    login = client.post(
        "/user/login", data={"email": victim.email, "password": victim.password}, follow_redirects=False
    )
    client.cookies.set("preflab_session", login.cookies["preflab_session"])
    refused = client.get(f"/api/projects/{project}/next", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert labelers[1].get(f"/api/projects/{project}/next").json()["id"] == tid  # the slot stayed open
    client.cookies.clear()


@pytest.mark.parametrize(
    "mode, skipper_gets_it_back, others_get_it",
    [("REQUEUE_FOR_OTHERS", False, True), ("REQUEUE_FOR_ME", True, False), ("IGNORE_SKIPPED", False, False)],
)
def test_skip_queue_decides_where_a_skipped_task_goes(
    api, project, labelers, mode, skipper_gets_it_back, others_get_it
):
    assert api.patch(f"/api/projects/{project}", json={"skip_queue": mode}).json()["skip_queue"] == mode
    first, second = api.post(f"/api/projects/{project}/import", json=seed_tasks(2)).json()["task_ids"]
    skipper, other = labelers[:2]
    assert skipper.get(f"/api/projects/{project}/next").json()["id"] == first
    skipper.post(f"/api/tasks/{first}/annotations", json={"result": [], "was_cancelled": True})
    assert skipper.get(f"/api/projects/{project}/next").json()["id"] == second  # the rest comes first
    skipper.post(f"/api/tasks/{second}/annotations", json={"result": pick()})
    again = skipper.get(f"/api/projects/{project}/next")
    assert (again.status_code == 200 and again.json()["id"] == first) == skipper_gets_it_back
    if skipper_gets_it_back:
        skipper.post(f"/api/tasks/{first}/annotations", json={"result": pick()})
    offered = other.get(f"/api/projects/{project}/next")
    assert (offered.status_code == 200 and offered.json()["id"] == first) == others_get_it


def test_ground_truth_tasks_come_first_when_asked(api, project, labelers):
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(3)).json()["task_ids"]
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2})
    api.post(f"/api/tasks/{ids[2]}/annotations", json={"result": pick(), "ground_truth": True})
    assert labelers[0].get(f"/api/projects/{project}/next").json()["id"] == ids[0]
    api.patch(f"/api/projects/{project}", json={"show_ground_truth_first": True})
    assert labelers[1].get(f"/api/projects/{project}/next").json()["id"] == ids[2]


def test_overlap_cohort_percentage_gives_the_full_overlap_to_that_share_of_tasks(api, project, labelers):
    api.patch(f"/api/projects/{project}", json={"maximum_annotations": 2, "overlap_cohort_percentage": 30})
    ids = api.post(f"/api/projects/{project}/import", json=seed_tasks(100)).json()["task_ids"]
    for tid in ids:
        api.post(f"/api/tasks/{tid}/annotations", json={"result": pick()})
    listing = api.get(f"/api/tasks?project={project}&page_size=100").json()["tasks"]
    labeled = [t for t in listing if t["is_labeled"]]
    assert len(labeled) == 70  # one answer finishes the 70% outside the cohort
    second = labelers[0]
    offered = set()
    while (r := second.get(f"/api/projects/{project}/next")).status_code == 200:
        offered.add(r.json()["id"])
        second.post(f"/api/tasks/{r.json()['id']}/annotations", json={"result": pick()})
    assert offered == {t["id"] for t in listing if not t["is_labeled"]} and len(offered) == 30
    assert api.get(f"/api/projects/{project}").json()["finished_task_number"] == 100
    api.patch(f"/api/projects/{project}", json={"overlap_cohort_percentage": 100})
    assert api.get(f"/api/projects/{project}").json()["finished_task_number"] == 30  # the others need two now
