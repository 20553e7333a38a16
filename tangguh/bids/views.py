"""The public receipt check (Verifikasi Tanda Terima): paste a receipt, see whether this node
signed it, what it proves, and whether the envelope it names is recorded here."""

from __future__ import annotations

from django.shortcuts import render

from tangguh.bids.selectors import envelope_named_by_receipt, envelope_status
from tangguh.bids.services.receipts import ReceiptError, describe_receipt, verify_receipt
from tangguh.core.keys import node_keyring

MAX_RECEIPT_CHARS = 20_000


def receipt_verify_page(request):
    context: dict = {"receipt": ""}
    if request.method == "POST":
        token = request.POST.get("receipt", "").strip()[:MAX_RECEIPT_CHARS]
        context["receipt"] = token
        try:
            verified = verify_receipt(token, node_keyring().jwks())
        except ReceiptError as error:
            context["error"] = error
        else:
            context["verified"] = verified
            context["rows"] = describe_receipt(verified.payload)
            envelope = envelope_named_by_receipt(verified.payload)
            context["recorded"] = envelope is not None
            context["status"] = envelope_status(envelope) if envelope else None
    return render(request, "bids/receipt_verify.html", context, status=200)
