"""The printed receipt (收据, issue 24): an A5 landscape PDF drawn with reportlab in a CJK TrueType font that a
Debian package ships (fonts-wqy-zenhei; `make test` installs it), found on the machine at run time — nothing is
downloaded. The font is loaded once per process; a page is drawn off the event loop."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from services.payments.domain import COPY_MARK, TITLE
from shared.kernel.errors import refusal

FONT = "EstateCJK"
# TrueType outlines only (reportlab embeds no CFF/OpenType-CFF fonts): the WenQuanYi fonts first, then others
# Debian ships with Chinese glyphs.
FONT_FILES = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)
PAGE = landscape(A5)  # 595 × 420 pt
MARGIN, LABEL_WIDTH, SIZE, LEADING = 30.0, 150.0, 10.5, 14.0
RED = Color(0.78, 0.1, 0.1)

FontMissing = refusal(
    "FontMissing", "receipt_font_missing", "No CJK font to print with: install fonts-wqy-zenhei.", status=503
)
_loaded = threading.Lock()


def font_file(candidates: Sequence[str] = FONT_FILES) -> Path:
    """The first CJK font of `candidates` this machine has; FontMissing (503) naming the package otherwise."""
    for name in candidates:
        if Path(name).is_file():
            return Path(name)
    raise FontMissing("no CJK font to print the receipt with: install Debian's fonts-wqy-zenhei")


def _ensure_font() -> None:
    with _loaded:
        if FONT not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(FONT, str(font_file()), subfontIndex=0))


async def receipt_pdf(receipt_no: str, lines: list[tuple[str, str]], footer: str, copy: bool) -> bytes:
    """The receipt as PDF bytes, drawn in a worker thread (a page takes some milliseconds of CPU)."""
    return await asyncio.to_thread(draw_receipt, receipt_no, lines, footer, copy)


def draw_receipt(receipt_no: str, lines: list[tuple[str, str]], footer: str, copy: bool) -> bytes:
    """One A5 landscape page: the title and number, the copy mark when it is one, the form's lines, the footer."""
    _ensure_font()
    out = io.BytesIO()
    page = Canvas(out, pagesize=PAGE, pageCompression=1)
    page.setTitle(f"收据 Receipt {receipt_no}")
    width, height = PAGE
    _head(page, receipt_no, copy)
    _form(page, lines, top=height - 88)
    page.setFont(FONT, SIZE)
    page.drawRightString(width - MARGIN, MARGIN + 14, "收款单位（盖章）Received by (seal): ________________")
    page.setFont(FONT, 8)
    page.drawString(MARGIN, MARGIN - 12, footer)
    page.showPage()
    page.save()
    return out.getvalue()


def _head(page: Canvas, receipt_no: str, copy: bool) -> None:
    width, height = PAGE
    page.setFont(FONT, 22)
    page.drawCentredString(width / 2, height - 48, TITLE)
    page.setFont(FONT, 9)
    page.drawCentredString(width / 2, height - 62, "RECEIPT")
    page.setFillColor(RED)
    page.setFont(FONT, 12)
    page.drawRightString(width - MARGIN, height - 48, f"No. {receipt_no}")
    if copy:
        page.setStrokeColor(RED)
        page.setLineWidth(1.5)
        page.roundRect(MARGIN, height - 66, 84, 30, 4)
        page.setFont(FONT, 18)
        page.drawString(MARGIN + 8, height - 57, COPY_MARK)
        page.setFont(FONT, 8)
        page.drawString(MARGIN + 52, height - 56, "COPY")
    page.setFillColor(black)
    page.setStrokeColor(black)


def _form(page: Canvas, lines: list[tuple[str, str]], top: float) -> None:
    """The lines as a ruled table: label on the left, the value wrapped to its cell (at most three lines)."""
    width = PAGE[0] - 2 * MARGIN
    page.setLineWidth(0.6)
    y = top
    page.line(MARGIN, y, MARGIN + width, y)
    for label, value in lines:
        wrapped = simpleSplit(value, FONT, SIZE, width - LABEL_WIDTH - 12)[:3] or [""]
        row = LEADING * len(wrapped) + 6
        page.setFont(FONT, SIZE)
        page.drawString(MARGIN + 6, y - LEADING, label)
        for n, text in enumerate(wrapped):
            page.drawString(MARGIN + LABEL_WIDTH + 6, y - LEADING * (n + 1), text)
        y -= row
        page.line(MARGIN, y, MARGIN + width, y)
    page.line(MARGIN, top, MARGIN, y)
    page.line(MARGIN + LABEL_WIDTH, top, MARGIN + LABEL_WIDTH, y)
    page.line(MARGIN + width, top, MARGIN + width, y)
