"""Paper as a person sees it (issue 24): a PDF turned into its text (`pdftotext`, poppler-utils) and into a picture
(`pdftoppm`), and whether a picture shows anything at all. `make test` installs poppler-utils."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

from PIL import Image


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as `pdftotext -layout` reads it (the way a person copies it out of a viewer)."""
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, timeout=30, check=True)
    return done.stdout.decode("utf-8")


def pdf_png(pdf: bytes, dpi: int = 60) -> Image.Image:
    """The PDF's first page as a picture (`pdftoppm -png`)."""
    with tempfile.TemporaryDirectory(prefix="estate-paper-") as folder:
        source = Path(folder) / "page.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(Path(folder) / "page")],
            capture_output=True,
            timeout=30,
            check=True,
        )
        return Image.open(io.BytesIO((Path(folder) / "page.png").read_bytes())).convert("L")


def inked_share(picture: Image.Image) -> float:
    """The share of the picture's pixels that are not paper-white (0: a blank page)."""
    levels = picture.histogram()  # a grey picture: how many pixels at each of the 256 levels
    return sum(levels[:200]) / sum(levels)


def one_line(text: str) -> str:
    """The text with its layout's spacing folded to single spaces (pdftotext pads columns)."""
    return " ".join(text.split())
