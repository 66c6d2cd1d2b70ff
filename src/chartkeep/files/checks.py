"""What an upload must pass before anything is stored: name, size, content type, plausible bytes.

* the name as Parse's ``validateFilename`` (122 ``Filename too long.`` / ``Filename contains
  invalid characters.``);
* the size against ``files_max_bytes`` (HTTP 413, Parse code 130);
* the content type as Parse settles it (an extension is added from a known declared type; the
  type served is the extension's, else the declared one), then the allow-list
  ``files_allowed_types`` and a fixed deny-list no setting lifts (HTML, SVG, scripts,
  executables — by declared type, served type or extension);
* a cheap sniff: the first bytes must fit the declared type (``%PDF-`` for a PDF, the PNG/JPEG/…
  signatures, UTF-8 text for text types), and bytes that look like HTML or an executable are refused
  whatever type they claim.

``application/octet-stream`` (what the SDKs declare for byte arrays; DICOM and device exports) is
accepted by default — the deny-list and the sniff still apply — and, like every type a browser
would not simply display, served as a download (:func:`disposition`).
"""

from __future__ import annotations

import mimetypes
import re

from chartkeep.errors import Code, ParseError

NAME = re.compile(r"^[_a-zA-Z0-9][a-zA-Z0-9@. ~_-]*$")
OCTET = "application/octet-stream"

DENIED_TYPES = frozenset({
    "text/html", "application/xhtml+xml", "image/svg+xml", "text/xml", "application/xml",
    "application/javascript", "text/javascript", "application/ecmascript", "text/ecmascript",
    "application/x-msdownload", "application/x-msdos-program", "application/x-executable",
    "application/x-elf", "application/x-mach-binary", "application/x-sh", "application/x-shellscript",
    "text/x-shellscript", "application/x-bat", "application/java-archive", "application/x-httpd-php",
    "application/vnd.microsoft.portable-executable", "application/hta", "text/x-python",
})
DENIED_EXTENSIONS = frozenset({
    "html", "htm", "xhtml", "shtml", "svg", "svgz", "xml", "js", "mjs", "exe", "dll", "com", "bat", "cmd",
    "msi", "scr", "ps1", "sh", "bash", "php", "jar", "hta", "vbs", "py", "pl", "app", "elf", "so", "dylib",
})
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"#!", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",
                    b"\xce\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
HTML_MARKERS = (b"<!doctype html", b"<html", b"<script", b"<svg", b"<?xml", b"<iframe", b"<body", b"<head")
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/tiff": (b"II*\x00", b"MM\x00*"),
    "image/bmp": (b"BM",),
    "application/zip": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (b"PK\x03\x04",),
    "video/mp4": (),  # checked below: "ftyp" at offset 4
    "image/heic": (),
    "image/webp": (),
    "audio/wav": (),
    "application/dicom": (),
}
TEXT_TYPES = frozenset({"application/json", "text/csv", "text/plain", "text/markdown", "application/fhir+json"})


# types a browser displays itself (a PDF viewer, an image, plain text, a player); every other type,
# application/octet-stream first, is served with ``Content-Disposition: attachment``
INLINE_TYPES = frozenset({
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/heic",
    "text/plain", "text/csv", "application/json", "audio/mpeg", "audio/wav", "video/mp4",
})


def disposition(ctype: str) -> str:
    """``inline`` for a type browsers display, else ``attachment`` (a download)."""
    return "inline" if ctype.lower() in INLINE_TYPES else "attachment"


class FileTooLarge(ParseError):
    """Over ``files_max_bytes``: HTTP 413 with Parse's file-save code."""

    def __init__(self, limit: int) -> None:
        super().__init__(Code.FILE_SAVE_ERROR, f"File size exceeds the maximum of {limit} bytes.")


def validate_name(name: str) -> None:
    if len(name) > 128:
        raise ParseError(Code.INVALID_FILE_NAME, "Filename too long.")
    if not NAME.match(name):
        raise ParseError(Code.INVALID_FILE_NAME, "Filename contains invalid characters.")


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[1].lower() if "." in name.strip(".") else ""


def settle_type(name: str, declared: str | None) -> tuple[str, str]:
    """(name, content type). As Parse: a name without extension gets the declared type's; the
    type a file is served with is the one its extension names (Parse's download answers
    ``mime.getType(filename)``), else the declared one, else ``application/octet-stream``."""
    ctype = (declared or "").split(";", 1)[0].strip().lower()
    if not _extension(name) and ctype:
        ext = mimetypes.guess_extension(ctype, strict=False)
        if ext:
            name += ext
    by_name = mimetypes.guess_type(name, strict=False)[0] if _extension(name) else None
    return name, (by_name or ctype or OCTET).lower()


def declared_type(declared: str | None) -> str:
    return (declared or "").split(";", 1)[0].strip().lower()


def _allowed(ctype: str, allowed: list[str]) -> bool:
    for entry in allowed:
        entry = entry.strip().lower()
        if entry == ctype or entry == "*" or (entry.endswith("/*") and ctype.startswith(entry[:-1])):
            return True
    return False


def _plausible(ctype: str, head: bytes, data: bytes) -> bool:
    if ctype in TEXT_TYPES or ctype.startswith("text/"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return b"\x00" not in data
    if ctype == "image/webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if ctype == "audio/wav":
        return head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    if ctype in ("video/mp4", "image/heic", "image/heif", "video/quicktime"):
        return head[4:8] == b"ftyp"
    if ctype == "application/dicom":
        return head[128:132] == b"DICM"
    if ctype == "audio/mpeg":
        return head[:3] == b"ID3" or head[:1] == b"\xff"
    signatures = SIGNATURES.get(ctype)
    return not signatures or head.startswith(signatures)


def check_content(name: str, ctype: str, data: bytes, allowed: list[str], declared: str = "") -> None:
    """Refuse a type or bytes the deployment does not take (Parse's 130, with Parse's wording)."""
    ext = _extension(name)
    if ext in DENIED_EXTENSIONS:
        raise ParseError(Code.FILE_SAVE_ERROR, f"File upload of extension {ext} is disabled.")
    for kind in (declared, ctype):
        if kind in DENIED_TYPES:
            raise ParseError(Code.FILE_SAVE_ERROR, f"File upload of type {kind} is disabled.")
    if not _allowed(ctype, allowed):
        raise ParseError(Code.FILE_SAVE_ERROR, f"File upload of type {ctype} is disabled.")
    head = data[:512]
    program = head.startswith(EXECUTABLE_MAGIC[1:]) or (head.startswith(b"MZ") and b"\x00" in head)
    if program or head.lstrip().lower().startswith(HTML_MARKERS):
        raise ParseError(Code.FILE_SAVE_ERROR, "File upload refused: the content looks like a program or a web page.")
    if not _plausible(ctype, head, data):
        raise ParseError(Code.FILE_SAVE_ERROR, f"File upload refused: the content is not a valid {ctype} file.")
