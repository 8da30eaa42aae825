"""The whole tag vocabulary: small configs in the shape of Label Studio's own templates are valid,
and configs Label Studio refuses are refused with a message naming the tag and attribute."""

import pytest

from preflab.domain import tags
from preflab.domain.labelconfig import LabelConfigError, parse

VALID = {
    "image bounding boxes": """
      <View>
        <Image name="image" value="$image" zoom="true" zoomControl="true" rotateControl="false"/>
        <RectangleLabels name="label" toName="image" strokeWidth="3" opacity="0.9" canRotate="false">
          <Label value="Airplane" background="green"/>
          <Label value="Car" background="blue"/>
        </RectangleLabels>
      </View>""",
    "image regions of every shape": """
      <View>
        <Image name="img" value="$image" crossOrigin="anonymous"/>
        <PolygonLabels name="poly" toName="img" pointSize="small"><Label value="Road"/></PolygonLabels>
        <KeyPointLabels name="kp" toName="img"><Label value="Eye"/></KeyPointLabels>
        <BrushLabels name="brush" toName="img"><Label value="Sky"/></BrushLabels>
        <EllipseLabels name="ell" toName="img"><Label value="Face"/></EllipseLabels>
        <BitmaskLabels name="bm" toName="img"><Label value="Mask"/></BitmaskLabels>
        <Rectangle name="rect" toName="img"/>
        <Polygon name="p2" toName="img"/>
        <KeyPoint name="k2" toName="img"/>
        <Brush name="b2" toName="img"/>
        <Ellipse name="e2" toName="img"/>
        <MagicWand name="mw" toName="img"/>
      </View>""",
    "multi-page image with valueList": """
      <View>
        <Image name="pages" valueList="$pages"/>
        <Choices name="kind" toName="pages"><Choice value="Invoice"/><Choice value="Receipt"/></Choices>
      </View>""",
    "named entities": """
      <View>
        <Labels name="ner" toName="text" choice="multiple">
          <Label value="Person" hotkey="p"/><Label value="Organization"/>
        </Labels>
        <Text name="text" value="$text" granularity="word"/>
      </View>""",
    "relations between entities": """
      <View>
        <Relations><Relation value="org:founded_by"/><Relation value="org:member_of"/></Relations>
        <Labels name="label" toName="text"><Label value="Organization"/><Label value="Person"/></Labels>
        <Text name="text" value="$text"/>
      </View>""",
    "html entities": """
      <View>
        <HyperTextLabels name="ner" toName="page"><Label value="Title"/></HyperTextLabels>
        <HyperText name="page" value="$html" inline="true"/>
      </View>""",
    "dialogue labels": """
      <View>
        <ParagraphLabels name="ner" toName="dialogue"><Label value="Greeting"/></ParagraphLabels>
        <Paragraphs name="dialogue" value="$dialogue" layout="dialogue" nameKey="author" textKey="text"/>
      </View>""",
    "audio transcription": """
      <View>
        <Audio name="audio" value="$audio" decoder="webaudio"/>
        <Labels name="speaker" toName="audio"><Label value="Speaker 1"/></Labels>
        <TextArea name="transcription" toName="audio" rows="4" editable="true" maxSubmissions="1"
                  perRegion="true" required="true">
          <Shortcut alias="[noise]" value="[noise]" hotkey="1"/>
        </TextArea>
      </View>""",
    "audio plus": """
      <View>
        <AudioPlus name="audio" value="$audio"/>
        <Choices name="emotion" toName="audio" choice="single-radio"><Choice value="Happy"/></Choices>
      </View>""",
    "video classification and tracking": """
      <View>
        <Video name="video" value="$video" frameRate="$fps"/>
        <Labels name="videoLabels" toName="video" allowEmpty="true"><Label value="Man"/></Labels>
        <VideoRectangle name="box" toName="video"/>
        <TimelineLabels name="timeline" toName="video"><Label value="Run"/></TimelineLabels>
      </View>""",
    "time series": """
      <View>
        <TimeSeriesLabels name="label" toName="ts"><Label value="Run"/><Label value="Walk"/></TimeSeriesLabels>
        <TimeSeries name="ts" value="$csv" valueType="url" timeColumn="time">
          <Channel column="velocity" strokeColor="#1f77b4"/>
          <Channel column="acceleration"/>
        </TimeSeries>
      </View>""",
    "ranker with buckets": """
      <View>
        <List name="results" value="$items" title="Search results"/>
        <Ranker name="rank" toName="results">
          <Bucket name="relevant" title="Relevant"/>
          <Bucket name="irrelevant" title="Not relevant"/>
        </Ranker>
      </View>""",
    "taxonomy": """
      <View>
        <Text name="text" value="$text"/>
        <Taxonomy name="taxonomy" toName="text" leafsOnly="true">
          <Choice value="Archaea"/>
          <Choice value="Eukarya">
            <Choice value="Human"/>
            <Choice value="Oppossum"/>
          </Choice>
        </Taxonomy>
      </View>""",
    "number, date and rating": """
      <View>
        <Text name="text" value="$text"/>
        <Number name="count" toName="text" min="0" max="100" step="1" slider="true"/>
        <DateTime name="date" toName="text" only="date,time"/>
        <Rating name="rating" toName="text" maxRating="10" icon="star" size="medium"/>
      </View>""",
    "dynamic choices and labels": """
      <View>
        <Text name="text" value="$text"/>
        <Choices name="options" toName="text" value="$options" allowNested="true"/>
        <Labels name="tags" toName="text" value="$tags"/>
      </View>""",
    "choices grouped in views, with a filter": """
      <View>
        <Text name="text" value="$text"/>
        <Filter name="filter" toName="topic" minlength="1" placeholder="Filter"/>
        <Choices name="topic" toName="text" choice="multiple" layout="select">
          <View style="display: flex"><Choice value="Sports"/><Choice value="Politics"/></View>
        </Choices>
      </View>""",
    "conditional views and layout": """
      <View>
        <Style>.main { padding: 1em }</Style>
        <View className="main" visibleWhen="choice-selected" whenTagName="ok" whenChoiceValue="Yes">
          <Header value="Details" underline="true"/>
        </View>
        <Text name="text" value="$text"/>
        <Choices name="ok" toName="text"><Choice value="Yes"/><Choice value="No"/></Choices>
        <Collapse bordered="true">
          <Panel value="More"><Markdown value="Read **carefully**"/></Panel>
        </Collapse>
      </View>""",
    "repeater over images": """
      <View>
        <Repeater on="$images" indexFlag="{{idx}}" mode="pagination">
          <Image name="image_{{idx}}" value="$images[{{idx}}].url"/>
          <RectangleLabels name="box_{{idx}}" toName="image_{{idx}}"><Label value="Car"/></RectangleLabels>
        </Repeater>
      </View>""",
    "table and pdf": """
      <View>
        <Table name="table" value="$meta"/>
        <Pdf name="pdf" value="$pdf"/>
        <Choices name="ok" toName="pdf"><Choice value="Readable"/></Choices>
      </View>""",
    "chat": """
      <View>
        <Chat name="chat" value="$messages"/>
        <Rating name="helpful" toName="chat" maxRating="5"/>
      </View>""",
    "comments are ignored": """
      <View>
        <!-- <Blink name="x"/> is not looked at -->
        <Text name="text" value="$text"/>
        <Choices name="c" toName="text"><!-- a comment --><Choice value="A"/></Choices>
      </View>""",
}


# What each template above parses into: its controls and its objects, by name and tag.
SHAPES = {
    "image bounding boxes": ({"label": "RectangleLabels"}, {"image": "Image"}),
    "image regions of every shape": (
        {
            "poly": "PolygonLabels",
            "kp": "KeyPointLabels",
            "brush": "BrushLabels",
            "ell": "EllipseLabels",
            "bm": "BitmaskLabels",
            "rect": "Rectangle",
            "p2": "Polygon",
            "k2": "KeyPoint",
            "b2": "Brush",
            "e2": "Ellipse",
            "mw": "MagicWand",
        },
        {"img": "Image"},
    ),
    "multi-page image with valueList": ({"kind": "Choices"}, {"pages": "Image"}),
    "named entities": ({"ner": "Labels"}, {"text": "Text"}),
    "relations between entities": ({"label": "Labels"}, {"text": "Text"}),
    "html entities": ({"ner": "HyperTextLabels"}, {"page": "HyperText"}),
    "dialogue labels": ({"ner": "ParagraphLabels"}, {"dialogue": "Paragraphs"}),
    "audio transcription": ({"speaker": "Labels", "transcription": "TextArea"}, {"audio": "Audio"}),
    "audio plus": ({"emotion": "Choices"}, {"audio": "AudioPlus"}),
    "video classification and tracking": (
        {"videoLabels": "Labels", "box": "VideoRectangle", "timeline": "TimelineLabels"},
        {"video": "Video"},
    ),
    "time series": ({"label": "TimeSeriesLabels"}, {"ts": "TimeSeries"}),
    "ranker with buckets": ({"rank": "Ranker"}, {"results": "List"}),
    "taxonomy": ({"taxonomy": "Taxonomy"}, {"text": "Text"}),
    "number, date and rating": (
        {"count": "Number", "date": "DateTime", "rating": "Rating"},
        {"text": "Text"},
    ),
    "dynamic choices and labels": ({"options": "Choices", "tags": "Labels"}, {"text": "Text"}),
    "choices grouped in views, with a filter": ({"topic": "Choices"}, {"text": "Text"}),
    "conditional views and layout": ({"ok": "Choices"}, {"text": "Text"}),
    "repeater over images": ({"box_{{idx}}": "RectangleLabels"}, {"image_{{idx}}": "Image"}),
    "table and pdf": ({"ok": "Choices"}, {"table": "Table", "pdf": "Pdf"}),
    "chat": ({"helpful": "Rating"}, {"chat": "Chat"}),
    "comments are ignored": ({"c": "Choices"}, {"text": "Text"}),
}


@pytest.mark.parametrize("name", VALID)
def test_label_studio_templates_are_valid(name):
    config = parse(VALID[name])
    controls, objects = SHAPES[name]
    assert {n: c.type for n, c in config.controls.items()} == controls
    assert {n: o.type for n, o in config.objects.items()} == objects


def test_tag_names_are_read_without_regard_to_case_as_label_studio_does():
    config = parse(
        '<View><text name="t" value="$t"/><choices name="c" toname="t"><choice value="A"/></choices></View>'
    )
    assert config.controls["c"].type == "Choices" and config.controls["c"].labels == ("A",)
    assert config.objects["t"].type == "Text"


def test_repeater_data_key_and_dynamic_choices():
    config = parse(VALID["repeater over images"])
    assert config.data_keys == ["images"]
    dynamic = parse(VALID["dynamic choices and labels"])
    assert dynamic.controls["options"].dynamic and dynamic.data_keys == ["text", "options", "tags"]


def test_parsed_config_of_an_image_template():
    parsed = parse(VALID["image bounding boxes"]).parsed()
    assert parsed["label"]["type"] == "RectangleLabels"
    assert parsed["label"]["inputs"] == [{"type": "Image", "valueType": None, "value": "image"}]
    assert parsed["label"]["labels"] == ["Airplane", "Car"]


TEXT = '<Text name="text" value="$text"/>'
IMAGE = '<Image name="img" value="$image"/>'

INVALID = [
    (
        f"<View>{TEXT}<RectangleLabels name='box' toName='text'><Label value='A'/></RectangleLabels></View>",
        '<RectangleLabels name="box"> toName="text" names a <Text>, but <RectangleLabels> can only label <Image>',
    ),
    (
        f"<View>{IMAGE}<HyperTextLabels name='h' toName='img'><Label value='A'/></HyperTextLabels></View>",
        '<HyperTextLabels name="h"> toName="img" names a <Image>, but <HyperTextLabels> can only label <HyperText>',
    ),
    (
        f"<View>{TEXT}<VideoRectangle name='v' toName='text'/></View>",
        "but <VideoRectangle> can only label <Video>",
    ),
    (
        f"<View>{TEXT}<Choices name='c' toName='text' choice='several'><Choice value='A'/></Choices></View>",
        '<Choices name="c"> choice="several": must be one of "single", "single-radio", "multiple"',
    ),
    (
        f"<View>{TEXT}<Labels name='l' toName='text' choice='single-radio'><Label value='A'/></Labels></View>",
        '<Labels name="l"> choice="single-radio": must be one of "single", "multiple"',
    ),
    (
        f"<View>{TEXT}<Rating name='r' toName='text' maxRating='ten'/></View>",
        '<Rating name="r"> maxRating="ten": must be a whole number of at least 1',
    ),
    (
        f"<View>{TEXT}<Rating name='r' toName='text' maxRating='0'/></View>",
        '<Rating name="r"> maxRating="0": must be a whole number of at least 1',
    ),
    (
        f"<View>{TEXT}<Number name='n' toName='text' min='x'/></View>",
        '<Number name="n"> min="x": must be a number',
    ),
    (
        f"<View>{TEXT}<Number name='n' toName='text' min='5' max='1'/></View>",
        '<Number name="n"> min="5" is above max="1"',
    ),
    (
        f"<View>{TEXT}<TextArea name='t' toName='text' maxSubmissions='-1'/></View>",
        '<TextArea name="t"> maxSubmissions="-1": must be a whole number of at least 1',
    ),
    (
        f"<View>{TEXT}<DateTime name='d' toName='text' only='week'/></View>",
        '<DateTime name="d"> only="week": must be a comma-separated list of "date", "time", "month", "year"',
    ),
    (
        f"<View>{TEXT}<Choices name='c' toName='text' required='yes'><Choice value='A'/></Choices></View>",
        '<Choices name="c"> required="yes": must be "true" or "false"',
    ),
    (
        f"<View><View visibleWhen='always'>{TEXT}</View></View>",
        '<View> visibleWhen="always": must be one of "region-selected", "no-region-selected"',
    ),
    (
        f"<View>{TEXT}<Choices name='c' toName='text'/></View>",
        '<Choices name="c"> needs <Choice> tags inside (or a value="$field" that lists them)',
    ),
    (
        f"<View>{TEXT}<Labels name='l' toName='text'></Labels></View>",
        '<Labels name="l"> needs <Label> tags inside',
    ),
    (
        f"<View>{TEXT}<Choices toName='text'><Choice value='A'/></Choices></View>",
        "<Choices> needs a name attribute",
    ),
    (
        f"<View>{TEXT}<Choices name='c'><Choice value='A'/></Choices></View>",
        '<Choices name="c"> needs a toName attribute',
    ),
    (
        f"<View>{TEXT}<Choices name='c' toName='text'><Choice/></Choices></View>",
        '<Choice> in "c" needs a value attribute',
    ),
    ("<View><Image name='img'/></View>", '<Image name="img"> needs a value or valueList attribute'),
    ("<View><Audio name='a'/></View>", '<Audio name="a"> needs a value attribute'),
    (f"<View>{TEXT}<Choice value='A'/></View>", '<Choice value="A"> must be inside <Choices> or <Taxonomy>'),
    (f"<View>{TEXT}<Label value='A'/></View>", '<Label value="A"> must be inside a <Labels> tag'),
    (f"<View>{TEXT}<Relation value='r'/></View>", '<Relation value="r"> must be inside <Relations>'),
    ("<View><Bucket name='b'/></View>", '<Bucket name="b"> must be inside <Ranker>'),
    ("<View><Channel column='x'/></View>", "<Channel> must be inside <TimeSeries>"),
    (f"<View>{TEXT}<Shortcut value='x'/></View>", '<Shortcut value="x"> must be inside <TextArea>'),
    (
        "<View><TimeSeries name='ts' value='$csv'><Channel/></TimeSeries></View>",
        "<Channel> needs a column attribute",
    ),
    ("<View><Repeater><Header value='x'/></Repeater></View>", "<Repeater> needs a on attribute"),
    (
        "<View><Repeater on='images'><Header value='x'/></Repeater></View>",
        '<Repeater> on="images": must name a task data field, like "$items"',
    ),
    (
        f"<View>{TEXT}<Filter name='f' toName='nothing'/></View>",
        "toName=\"nothing\" not found in names: ['f', 'text']",
    ),
    (
        f"<View>{TEXT}<Choices name='text2' toName='text'><Choice value='A'/></Choices>"
        "<Ranker name='r' toName='text'><Bucket name='text2'/></Ranker></View>",
        'the name "text2" is used twice',
    ),
    (f"<View>{TEXT}<Rectangle name='r' toName='text'/></View>", "but <Rectangle> can only label <Image>"),
    (f"<View>{TEXT}<Polygonlabel name='p' toName='text'/></View>", "unknown tag <Polygonlabel>"),
    (
        f"<View>{IMAGE}<RectangleLabels name='b' toName='img' opacity='2'><Label value='A'/></RectangleLabels></View>",
        '<RectangleLabels name="b"> opacity="2": must be a number from 0 to 1',
    ),
]


@pytest.mark.parametrize("xml, message", INVALID, ids=[m[:50] for _, m in INVALID])
def test_invalid_configs_are_refused_with_the_tag_and_attribute(xml, message):
    with pytest.raises(LabelConfigError) as caught:
        parse(xml)
    assert message in str(caught.value)


def test_the_table_knows_every_kind():
    assert {
        "Text",
        "HyperText",
        "Image",
        "Audio",
        "AudioPlus",
        "Video",
        "Paragraphs",
        "Chat",
        "Table",
        "TimeSeries",
        "List",
        "Markdown",
        "Pdf",
    } <= tags.of_kind(tags.OBJECT)
    assert {
        "Choices",
        "Labels",
        "Rating",
        "TextArea",
        "Number",
        "DateTime",
        "Taxonomy",
        "Ranker",
        "Pairwise",
        "RectangleLabels",
        "VideoRectangle",
        "BitmaskLabels",
        "MagicWand",
    } <= tags.of_kind(tags.CONTROL)
    assert {
        "View",
        "Header",
        "Style",
        "Collapse",
        "Panel",
        "Filter",
        "Repeater",
        "Relations",
    } <= tags.of_kind(tags.VISUAL)
    assert "RectangleLabels" in tags.not_drawn() and "Pairwise" not in tags.not_drawn()
