"""PDFs written anew without their metadata, attached files or actions that run code: :func:`clean_pdf`."""

from __future__ import annotations

import io

import pikepdf

from workflow.core.metadata.cleaned import Cleaned, refusal
from workflow.core.metadata.photos import strip_jpeg

_RISKY_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/RichMediaExecute", "/Rendition"}


def pdf_leftovers(pdf: pikepdf.Pdf) -> list[str]:
    """What a PDF carries that :func:`clean_pdf` removes, by name."""
    found = []
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary) and len(info.keys()):
        found.append("document information (author, creator, dates)")
    names = pdf.Root.get("/Names")
    checks = [
        ("XMP metadata", lambda o: "/Metadata" in o),
        ("application data", lambda o: "/PieceInfo" in o),
        ("automatic actions", lambda o: "/AA" in o),
        ("JavaScript or program actions", lambda o: _is_risky(o.get("/A")) or _is_risky(o.get("/OpenAction"))
         or o.get("/S") in _RISKY_ACTIONS),
        ("attached files", lambda o: o.get("/Subtype") == "/FileAttachment" or o.get("/Type") == "/Filespec"
         and "/EF" in o),
    ]
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
            continue
        for label, test in checks:
            if label not in found and test(obj):
                found.append(label)
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names and "JavaScript or program actions" not in found:
            found.append("JavaScript or program actions")
        if "/EmbeddedFiles" in names and "attached files" not in found:
            found.append("attached files")
    return found


def _is_risky(action) -> bool:
    return isinstance(action, pikepdf.Dictionary) and action.get("/S") in _RISKY_ACTIONS


def clean_pdf(filename: str, data: bytes) -> Cleaned:
    """The PDF written anew without its metadata, attached files or actions that run code."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            removed = pdf_leftovers(pdf)
            if "/Info" in pdf.trailer:
                del pdf.trailer["/Info"]
            names = pdf.Root.get("/Names")
            if isinstance(names, pikepdf.Dictionary):
                for key in ("/JavaScript", "/EmbeddedFiles"):
                    if key in names:
                        del names[key]
            for key in ("/AF", "/Collection"):
                if key in pdf.Root:
                    del pdf.Root[key]
            if "/OpenAction" in pdf.Root and not isinstance(pdf.Root.OpenAction, pikepdf.Array):
                del pdf.Root["/OpenAction"]  # an action; a destination (an array) only opens at a page
            for page in pdf.pages:
                annots = page.obj.get("/Annots")
                if isinstance(annots, pikepdf.Array):
                    kept = [a for a in annots if not (isinstance(a, pikepdf.Dictionary)
                                                      and a.get("/Subtype") == "/FileAttachment")]
                    if len(kept) != len(annots):
                        page.obj["/Annots"] = pikepdf.Array(kept)
            for obj in pdf.objects:
                if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream):
                    continue
                for key in ("/Metadata", "/PieceInfo", "/AA", "/AF"):
                    if key in obj:
                        del obj[key]
                if _is_risky(obj.get("/A")):
                    del obj["/A"]
                if _is_risky(obj.get("/Next")):
                    del obj["/Next"]
                if obj.get("/S") in _RISKY_ACTIONS and "/JS" in obj:
                    del obj["/JS"]
                if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image" \
                        and obj.get("/Filter") == "/DCTDecode":
                    raw = obj.read_raw_bytes()
                    bare = strip_jpeg(raw, keep_orientation=False)  # a PDF places a picture as its pixels lie
                    if bare != raw:
                        obj.write(bare, filter=pikepdf.Name.DCTDecode)
                        if "metadata of pictures inside" not in removed:
                            removed.append("metadata of pictures inside")
            out = io.BytesIO()
            pdf.remove_unreferenced_resources()
            pdf.save(out, encryption=False, fix_metadata_version=False, deterministic_id=True)
    except pikepdf.PasswordError as exc:
        raise refusal(filename, "password") from exc
    except (pikepdf.PdfError, OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
        raise refusal(filename, "damaged_pdf") from exc
    return Cleaned(out.getvalue(), removed)
