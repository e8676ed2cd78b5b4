"""The QR code shown with a voucher: the code itself, as a PNG, for a counter's scanner.

The QR holds only the voucher code (no link, no personal data), so a scan shows staff
the same eight characters they could have typed after /redeem.
"""

from __future__ import annotations

import io

import segno


def voucher_qr_png(code: str, *, scale: int = 8) -> bytes:
    qr = segno.make(code, error="m", micro=False)  # error correction is boosted where it fits
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()
