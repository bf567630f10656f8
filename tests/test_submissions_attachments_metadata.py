"""No file leaves the contributor's hands with metadata we could have removed (SAFETY: files that betray their author).

A corpus of files with planted metadata is made here (a JPEG with a GPS position and a camera serial, a PNG with
text chunks, a GIF with a comment, a WebP with EXIF and XMP, a PDF with an author, XMP, an attached file and
JavaScript, a DOCX with an author, a company, custom properties, a comment and tracked changes, an ODT with its
meta); each is pitched over HTTP and downloaded by the desk. What comes out holds none of the planted values,
searched byte by byte (inside each zip member too) and read back by the parsers; and it still opens. What cannot be
cleaned is refused with the reason, and the typed fields are kept. Files stored before are cleaned by
``flask files clean-metadata``.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from html import unescape

import docx
import pikepdf
import pytest
from PIL import Image, PngImagePlugin

from tests.helpers import field_error, input_value, signed_in, text_of, valid_pitch
from workflow.core import metadata, storage
from workflow.core.errors import DomainError
from workflow.extensions import db
from workflow.submissions.models import Attachment

AUTHOR = "Zaynab Qasim-Canary"
SERIAL = "SN-CANARY-4471"
COMPANY = "Canary Ministry of Information"
COMMENTER = "Karim Canary-Commenter"
EDITOR = "Leila Canary-Tracker"
PLANTED = [AUTHOR, SERIAL, COMPANY, COMMENTER, EDITOR, "CanaryCam", "Canary Model X", "canary-secret-template",
           "33/1", "canary-attached.txt", "app.alert", "CanaryGen", "Canary custom value"]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT_TYPE = "application/vnd.oasis.opendocument.text"


# The corpus ------------------------------------------------------------------------------------------------------

def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "CanaryCam"  # Make
    exif[0x0110] = "Canary Model X"  # Model
    exif[0x013B] = AUTHOR  # Artist
    exif[0x0112] = 6  # Orientation: turned a quarter
    exif.get_ifd(0x8769)[0xA431] = SERIAL  # BodySerialNumber
    exif.get_ifd(0x8825).update({1: "N", 2: (33.0, 30.0, 15.0), 3: "E", 4: (36.0, 17.0, 42.0)})  # GPSInfo
    return exif


def jpeg_with_gps() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 30)).save(out, "JPEG", exif=_exif(), comment=AUTHOR.encode())
    return out.getvalue()


def png_with_text() -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", AUTHOR)
    info.add_itxt("Comment", SERIAL)
    info.add_text("Software", "CanaryGen")
    out = io.BytesIO()
    Image.new("RGBA", (20, 10), (0, 0, 255, 128)).save(out, "PNG", pnginfo=info, exif=_exif())
    return out.getvalue()


def gif_with_comment() -> bytes:
    out = io.BytesIO()
    Image.new("P", (16, 16), 3).save(out, "GIF", comment=f"{AUTHOR} {SERIAL}".encode())
    return out.getvalue()


def webp_with_exif() -> bytes:
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{AUTHOR}</dc:creator></x:xmpmeta>'.encode()
    out = io.BytesIO()
    Image.new("RGB", (24, 24), (10, 200, 10)).save(out, "WEBP", exif=_exif(), xmp=xmp)
    return out.getvalue()


def pdf_with_author() -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.docinfo["/Author"] = AUTHOR
    pdf.docinfo["/Creator"] = "CanaryGen"
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:creator"] = [AUTHOR]
        meta["xmp:CreatorTool"] = "CanaryGen"
    attached = pikepdf.AttachedFileSpec(pdf, f"notes of {AUTHOR}".encode(), filename="canary-attached.txt")
    pdf.attachments["canary-attached.txt"] = attached
    script = pdf.make_indirect(pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")))
    pdf.Root.OpenAction = script
    pdf.Root.Names.JavaScript = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("x"), script]))
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=script)
    # A photo placed on the page, as a scanning app does: its JPEG stream carries the camera's EXIF.
    photo = pikepdf.Stream(pdf, jpeg_with_gps(), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=64,
                           Height=32, ColorSpace=pikepdf.Name.DeviceRGB, BitsPerComponent=8,
                           Filter=pikepdf.Name.DCTDecode)
    pdf.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=photo))
    pdf.pages[0].obj.Contents = pdf.make_stream(b"q 64 0 0 32 20 20 cm /Im0 Do Q")
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def docx_with_author() -> bytes:
    document = docx.Document()
    paragraph = document.add_paragraph("Notes from the bakery.")
    document.add_comment(paragraph.runs, text="Check the flour price.", author=COMMENTER, initials="KC")
    properties = document.core_properties
    properties.author, properties.last_modified_by, properties.revision = AUTHOR, EDITOR, 7
    properties.comments = f"Draft by {AUTHOR}"
    out = io.BytesIO()
    document.save(out)
    source = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    result = io.BytesIO()
    with zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as archive:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "word/document.xml":  # tracked changes: an insertion and a deletion
                data = data.replace(b"</w:body>", (
                    f'<w:p><w:ins w:id="901" w:author="{EDITOR}" w:date="2026-03-01T10:00:00Z"><w:r><w:t>Added.'
                    f'</w:t></w:r></w:ins><w:del w:id="902" w:author="{EDITOR}" w:date="2026-03-01T10:01:00Z">'
                    '<w:r><w:delText>Removed.</w:delText></w:r></w:del></w:p></w:body>').encode(), 1)
                data = data.replace(b"<w:sectPr", b"<w:sectPr", 1)
            elif item.filename == "docProps/app.xml":
                data = re.sub(rb"</Properties>", (
                    f"<Company>{COMPANY}</Company><Manager>{AUTHOR}</Manager>"
                    "<Template>canary-secret-template.dotm</Template></Properties>").encode(), data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/docProps/custom.xml" ContentType="'
                                    b'application/vnd.openxmlformats-officedocument.custom-properties+xml"/></Types>')
            elif item.filename == "_rels/.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdCustom" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                    b'relationships/custom-properties" Target="docProps/custom.xml"/></Relationships>'))
            archive.writestr(item, data)
        archive.writestr("docProps/custom.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Source">'
            '<vt:lpwstr>Canary custom value</vt:lpwstr></property></Properties>'))
        archive.writestr("word/media/image9.jpeg", jpeg_with_gps())
    return result.getvalue()


def odt_with_meta() -> bytes:
    office = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
              'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", ODT_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODT_TYPE}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '<manifest:file-entry manifest:full-path="meta.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {office} office:version="1.2">'
            '<office:body><office:text><text:tracked-changes><text:changed-region text:id="ct1"><text:insertion>'
            f'<office:change-info><dc:creator>{EDITOR}</dc:creator><dc:date>2026-03-01T10:00:00</dc:date>'
            '</office:change-info></text:insertion></text:changed-region></text:tracked-changes>'
            '<text:p>Notes from the bakery.<office:annotation>'
            f'<dc:creator>{COMMENTER}</dc:creator><dc:date>2026-03-01T10:00:00</dc:date>'
            '<text:p>Check the flour price.</text:p></office:annotation></text:p>'
            '</office:text></office:body></office:document-content>'), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("meta.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {office} office:version="1.2">'
            f'<office:meta><meta:initial-creator>{AUTHOR}</meta:initial-creator><dc:creator>{EDITOR}</dc:creator>'
            '<meta:editing-cycles>42</meta:editing-cycles><meta:generator>CanaryGen/7.1</meta:generator>'
            f'<meta:user-defined meta:name="Company">{COMPANY}</meta:user-defined><dc:title>Bakers</dc:title>'
            '</office:meta></office:document-meta>'), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


CORPUS = {  # name → (maker, content type)
    "street.jpg": (jpeg_with_gps, "image/jpeg"),
    "chart.png": (png_with_text, "image/png"),
    "map.gif": (gif_with_comment, "image/gif"),
    "queue.webp": (webp_with_exif, "image/webp"),
    "permit.pdf": (pdf_with_author, "application/pdf"),
    "notes.docx": (docx_with_author, DOCX_TYPE),
    "notes.odt": (odt_with_meta, ODT_TYPE),
}


# What a file still holds -----------------------------------------------------------------------------------------

def readable_bytes(data: bytes) -> list[bytes]:
    """The file's bytes, and each zip member's unpacked bytes: a planted name must be in none of them."""
    parts = [data]
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts += [archive.read(name) for name in archive.namelist()]
    return parts


def planted_in(data: bytes) -> list[str]:
    found = []
    for part in readable_bytes(data):
        for value in PLANTED:
            for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
                if value.encode(encoding) in part and value not in found:
                    found.append(value)
    return found


def assert_planted_values_present(data: bytes) -> None:
    """The corpus check must be able to fail: the files as made carry what was planted."""
    assert planted_in(data), "the corpus file carries none of the planted values"


def assert_clean(name: str, data: bytes) -> None:
    assert planted_in(data) == [], name
    if name.endswith((".jpg", ".png", ".gif", ".webp")):
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()  # it still opens
            assert dict(picture.getexif()) == {}, name
            assert not {"exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile", "Author", "Comment",
                        "Software"} & set(picture.info), (name, picture.info)
            if name == "street.jpg":
                assert picture.size == (32, 64)  # the orientation was applied before the EXIF went
    elif name.endswith(".pdf"):
        with pikepdf.open(io.BytesIO(data)) as pdf:
            assert len(pdf.pages) == 1
            assert dict(pdf.docinfo) == {}
            assert "/Metadata" not in pdf.Root and "/OpenAction" not in pdf.Root
            assert "/AA" not in pdf.pages[0].obj
            assert len(pdf.attachments) == 0
            assert "/JavaScript" not in pdf.Root.get("/Names", {})
            placed = pdf.pages[0].obj.Resources.XObject.Im0
            assert pikepdf.PdfImage(placed).as_pil_image().size == (64, 32)  # the photo is still there
    elif name.endswith(".docx"):
        document = docx.Document(io.BytesIO(data))
        assert [p.text for p in document.paragraphs][0] == "Notes from the bakery."
        assert document.core_properties.author == "" and document.core_properties.last_modified_by == ""
        assert document.core_properties.revision in (0, 1)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert "docProps/custom.xml" not in archive.namelist()
            assert archive.testzip() is None
            comments = archive.read("word/comments.xml").decode()
            body = archive.read("word/document.xml").decode()
            assert 'w:author="Contributor"' in comments and "Check the flour price." in comments
            assert body.count('w:author="Contributor"') == 2 and "Removed." in body
            assert "<Company>" not in archive.read("docProps/app.xml").decode()
            with Image.open(io.BytesIO(archive.read("word/media/image9.jpeg"))) as picture:
                assert dict(picture.getexif()) == {}
    elif name.endswith(".odt"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            assert archive.namelist()[0] == "mimetype" and archive.read("mimetype") == ODT_TYPE.encode()
            assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
            meta = archive.read("meta.xml").decode()
            assert "<dc:title>Bakers</dc:title>" in meta
            for gone in ("initial-creator", "dc:creator", "editing-cycles", "generator", "user-defined"):
                assert gone not in meta
            content = archive.read("content.xml").decode()
            assert content.count("<dc:creator>Contributor</dc:creator>") == 2
            assert "Check the flour price." in content


# Through the pitch form --------------------------------------------------------------------------------------------

@pytest.fixture
def people(app, factory):
    owner = factory.user("contributor", name="Olga Owner")
    editor = factory.user("editor", name="Edna Editor")
    return {"reporter": signed_in(app, owner), "desk": signed_in(app, editor)}


def attachment_links(client, location: str) -> dict[str, tuple[str, str]]:
    page = client.get(location).get_data(as_text=True)
    return {unescape(name): (url, note) for url, name, note in
            re.findall(r'<a href="(/submissions/\d+/attachments/\d+)">([^<]+)</a> <span class="meta">\(([^)]*)\)',
                       page)}


def test_the_pitch_form_says_what_is_removed(people):
    text = text_of(people["reporter"].get("/pitch"))
    assert "we remove what it says about you: author and editor names" in text
    assert "location and camera details" in text


def test_every_file_of_the_corpus_reaches_the_desk_without_its_metadata(people):
    reporter, desk = people["reporter"], people["desk"]
    made = {name: maker() for name, (maker, _) in CORPUS.items()}
    for data in made.values():
        assert_planted_values_present(data)
    response = reporter.post("/pitch", valid_pitch(attachments=[(io.BytesIO(data), name)
                                                                for name, data in made.items()]), page="/pitch")
    assert response.status_code == 303, field_error(response, "attachments")
    links = attachment_links(reporter, response.location)
    assert set(links) == set(CORPUS)
    for name, (url, note) in links.items():
        assert note.endswith(", metadata removed"), note
        download = desk.get(url)
        assert download.status_code == 200
        assert download.headers["Content-Type"].startswith(CORPUS[name][1])
        assert_clean(name, download.data)
        assert reporter.get(url).data == download.data


REFUSED = [
    ("broken.pdf", lambda: pdf_with_author()[:60] + b"\x00garbage", "“broken.pdf” is damaged or not a PDF we can read"),
    ("locked.pdf", lambda: _encrypted_pdf(), "“locked.pdf” is protected by a password"),
    ("broken.docx", lambda: docx_with_author()[:3000], "“broken.docx” is damaged or not a document we can read"),
    ("broken.jpg", lambda: jpeg_with_gps()[:200] + b"\x00" * 40, "“broken.jpg” is damaged or incomplete"),
    ("notes.rtf", lambda: rb"{\rtf1\ansi {\info{\author Olga}} Meet at the mill.}",
     "“notes.rtf” is of a type whose hidden data (author, location, history) we cannot remove"),
]


def _encrypted_pdf() -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf_with_author())) as pdf:
        pdf.save(out, encryption=pikepdf.Encryption(user="open sesame", owner="owner"))
    return out.getvalue()


@pytest.mark.parametrize(("name", "make", "reason"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_file_that_cannot_be_cleaned_is_refused_with_the_reason_and_nothing_typed_is_lost(people, name, make,
                                                                                            reason):
    reporter = people["reporter"]
    response = reporter.post("/pitch", valid_pitch(headline="Flour at night", attachments=[
        (io.BytesIO(make()), name), (io.BytesIO(png_with_text()), "fine.png")]), page="/pitch")
    assert response.status_code == 422
    error = field_error(response, "attachments")
    assert reason in error
    formats = ("a PDF, a document, spreadsheet or presentation (Word, Excel, PowerPoint or OpenDocument: DOCX, "
               "XLSX, PPTX, ODT, ODS, ODP) or an image (JPEG, PNG, GIF, WebP).")
    assert f"we accept {formats}" in error or f"is not {formats}" in error  # why, and what is accepted
    assert "fine.png" not in error
    assert input_value(response, "headline") == "Flour at night"
    assert "choose your files again" in text_of(response)
    assert "You have not pitched a story yet." in text_of(reporter.get("/dashboard"))


# The cleaning itself, for each format (what the form and the command both use) ------------------------------------

@pytest.mark.parametrize("name", list(CORPUS))
def test_each_format_is_cleaned_says_what_it_removed_and_cleans_to_a_fixed_point(name):
    maker, content_type = CORPUS[name]
    data = maker()
    assert_planted_values_present(data)
    cleaned = metadata.clean(name, data, content_type)
    assert cleaned.removed, "nothing said removed"
    assert_clean(name, cleaned.data)
    assert metadata.clean(name, cleaned.data, content_type).removed == []  # nothing left to say


def test_a_type_the_desk_cannot_clean_is_refused_with_what_is_accepted():
    with pytest.raises(DomainError) as refused:
        metadata.clean("film.mp4", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    assert "we cannot remove" in refused.value.message and "we accept a PDF" in refused.value.message


# Files stored before: the command --------------------------------------------------------------------------------

def test_the_command_cleans_files_stored_before_in_place_and_says_what_it_changed(app, factory, make_client):
    owner = factory.user("contributor", name="Olga Owner")
    story = factory.submission(owner)
    raw = {"old.jpg": (jpeg_with_gps(), "image/jpeg"), "old.docx": (docx_with_author(), DOCX_TYPE),
           "old.pdf": (pdf_with_author(), "application/pdf"), "bad.pdf": (b"%PDF-1.4\n% torn off\n",
                                                                         "application/pdf")}
    ids = {}
    with app.app_context():
        for name, (data, content_type) in raw.items():
            stored = storage.store(data, content_type)  # as the desk stored files before it cleaned them
            row = Attachment(submission_id=story.id, uploaded_by_id=owner.id, filename=name,
                             content_type=content_type, size=stored.size, sha256=stored.sha256,
                             storage_key=stored.key)
            db.session.add(row)
            db.session.flush()
            ids[name] = row.id
        db.session.commit()
        assert storage.path_for(db.session.get(Attachment, ids["old.jpg"]).storage_key).read_bytes() \
            == raw["old.jpg"][0]
    page = signed_in(app, owner).get(f"/submissions/{story.id}").get_data(as_text=True)
    assert page.count("metadata not yet removed") == 4

    runner = app.test_cli_runner()
    result = runner.invoke(args=["files", "clean-metadata", "--quiet"])
    assert result.exit_code == 1, result.output  # one file could not be cleaned
    assert f"Attachment {ids['old.jpg']} (image/jpeg): removed EXIF (camera, GPS position, dates)" in result.output
    assert f"Attachment {ids['old.pdf']} (application/pdf): removed document information" in result.output
    assert f"Attachment {ids['old.docx']} ({DOCX_TYPE}): removed document properties" in result.output
    assert f"Attachment {ids['bad.pdf']} NOT cleaned: “bad.pdf” is damaged" in result.output
    assert "Looked at 4 attachments: 3 cleaned, 0 had nothing to remove, 1 could not be cleaned." in result.output
    assert "Olga" not in result.output

    with app.app_context():
        for name in ("old.jpg", "old.docx", "old.pdf"):
            row = db.session.get(Attachment, ids[name])
            data = storage.read(row.storage_key)
            assert storage.path_for(row.storage_key).read_bytes()[:4] == b"WFE1"  # cleaned, and sealed at last
            assert_clean(name.replace("old", "street" if name.endswith("jpg") else "notes" if name.endswith(
                "docx") else "permit"), data)
            assert row.metadata_removed and row.size == len(data)
            assert row.sha256 == hashlib.sha256(data).hexdigest()
        bad = db.session.get(Attachment, ids["bad.pdf"])
        assert not bad.metadata_removed
        assert storage.path_for(bad.storage_key).read_bytes() == raw["bad.pdf"][0]  # kept, not lost
    links = attachment_links(signed_in(app, owner), f"/submissions/{story.id}")
    assert links["old.jpg"][1].endswith(", metadata removed") and links["bad.pdf"][1].endswith("not yet removed")

    again = runner.invoke(args=["files", "clean-metadata", "--quiet", "--all"])
    assert "Looked at 4 attachments: 0 cleaned, 3 had nothing to remove, 1 could not be cleaned." in again.output


def test_a_zip_that_unpacks_to_far_more_than_its_size_is_refused_not_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * (30 * 1024 * 1024))
    assert len(out.getvalue()) < 100_000
    with pytest.raises(DomainError) as refused:
        metadata.clean("bomb.docx", out.getvalue(), DOCX_TYPE)
    assert "“bomb.docx” unpacks to far more than its size" in refused.value.message


@pytest.mark.parametrize(("data", "content_type"), [
    (b"\xff\xd8\xff\xe1\xff\xff\x00", "image/jpeg"),  # a metadata segment longer than the file
    (b"\xff\xd8\x00\x00garbage", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xffIHDR", "image/png"),
])
def test_a_photo_that_cannot_be_stripped_is_refused_never_kept_as_it_came(app, data, content_type):
    with app.app_context(), pytest.raises(DomainError) as refused:
        metadata.strip_photo(data, content_type)
    assert refused.value.field == "image" and "cannot remove its hidden data" in refused.value.message
