"""The bid errors, each with a stable code (``bid.*``) and the HTTP status the API gives it."""

from __future__ import annotations

from tangguh.core.errors import Conflict, NotFound, PermissionDenied, ServiceError


class BidError(ServiceError):
    status = 400


class LengthRequired(ServiceError):
    status = 411


class PayloadTooLarge(ServiceError):
    status = 413


def tender_not_found(code: str) -> NotFound:
    return NotFound(
        "bid.tender_not_found",
        f"Tender {code} tidak ditemukan atau belum diumumkan.",
        f"Tender {code} does not exist or is not announced.",
    )


def tender_cancelled(code: str) -> Conflict:
    return Conflict(
        "bid.tender_cancelled",
        f"Tender {code} telah dibatalkan; penawaran tidak diterima.",
        f"Tender {code} was cancelled; bids are not accepted.",
    )


def not_registered() -> PermissionDenied:
    return PermissionDenied(
        "bid.not_registered",
        "Perusahaan Anda tidak terdaftar sebagai peserta tender ini.",
        "None of your companies is registered for this tender.",
    )


def bad_envelope(name: str, allowed: list[str]) -> NotFound:
    return NotFound(
        "bid.envelope_unknown",
        f"Sampul '{name}' tidak ada pada tender ini (yang ada: {', '.join(allowed)}).",
        f"Envelope '{name}' does not exist in this tender (allowed: {', '.join(allowed)}).",
        field="envelope",
    )


def deadline_passed() -> Conflict:
    return Conflict(
        "bid.deadline_passed",
        "Batas akhir pemasukan penawaran telah lewat (menurut jam server).",
        "The bid deadline has passed (by the server's clock).",
    )


def deadline_not_passed() -> Conflict:
    return Conflict(
        "bid.deadline_not_passed",
        "Batas akhir pemasukan penawaran belum lewat.",
        "The bid deadline has not passed yet.",
    )


def bidding_not_open() -> Conflict:
    return Conflict(
        "bid.not_open",
        "Tahap pemasukan penawaran belum dimulai.",
        "The bid submission stage has not started.",
    )


def closed() -> Conflict:
    return Conflict(
        "bid.closed",
        "Berita acara penutupan sudah ditandatangani; penawaran tidak dapat dicatat lagi.",
        "The closing statement is signed; no bid can be recorded any more.",
    )


def length_required() -> LengthRequired:
    return LengthRequired(
        "bid.length_required",
        "Sertakan Content-Length (unggahan chunked tanpa panjang tidak diterima).",
        "Send Content-Length (a chunked upload without a length is refused).",
        field="Content-Length",
    )


def too_large(limit: int, field: str = "Content-Length") -> PayloadTooLarge:
    return PayloadTooLarge(
        "bid.too_large",
        f"Berkas melebihi batas ukuran {limit} bita.",
        f"The file is larger than the limit of {limit} bytes.",
        field=field,
    )


def digest_required() -> BidError:
    return BidError(
        "bid.digest_required",
        "Sertakan Content-Digest: sha-256=:<base64>: (RFC 9530).",
        "Send Content-Digest: sha-256=:<base64>: (RFC 9530).",
        field="Content-Digest",
    )


def digest_malformed() -> BidError:
    return BidError(
        "bid.digest_malformed",
        "Content-Digest tidak sah; gunakan sha-256=:<base64 32 bita>:.",
        "Content-Digest is malformed; use sha-256=:<base64 of 32 bytes>:.",
        field="Content-Digest",
    )


def digest_mismatch(declared: str, actual: str) -> BidError:
    return BidError(
        "bid.digest_mismatch",
        f"SHA-256 berkas ({actual}) tidak sama dengan yang dinyatakan ({declared}).",
        f"The file's SHA-256 ({actual}) is not the declared one ({declared}).",
        field="Content-Digest",
    )


def length_mismatch(declared: int, received: int) -> BidError:
    return BidError(
        "bid.length_mismatch",
        f"Diterima {received} bita, dinyatakan {declared} bita.",
        f"Received {received} bytes, {declared} declared.",
        field="Content-Length",
    )


def not_sealed(reason: str, detail: str) -> BidError:
    messages = {
        "not_age": ("Berkas bukan berkas age.", "The file is not an age file."),
        "armored": (
            "Berkas age ber-armor ASCII; unggah bentuk biner.",
            "The age file is ASCII-armored; upload it binary.",
        ),
        "bad_header": ("Kepala berkas age rusak.", "The age header is malformed."),
        "scrypt_stanza": (
            "Berkas disegel dengan kata sandi (age -p); segel ke penerima tender.",
            "The file is sealed with a passphrase (age -p); seal it to the tender's recipient.",
        ),
        "stanza_count": (
            "Berkas harus disegel ke tepat satu penerima X25519.",
            "The file must be sealed to exactly one X25519 recipient.",
        ),
        "truncated": ("Berkas age terpotong.", "The age file is truncated."),
        "payload_length": (
            "Panjang isi berkas age tidak mungkin (terpotong atau ditambah).",
            "The age payload length is impossible (cut or padded).",
        ),
    }
    message_id, message_en = messages.get(reason, ("Berkas tidak sah.", "Invalid file."))
    return BidError(f"bid.{reason}", f"{message_id} ({detail})", f"{message_en} ({detail})")


def envelope_not_found() -> NotFound:
    return NotFound(
        "bid.envelope_not_found",
        "Tidak ada sampul penawaran yang berlaku untuk ditarik.",
        "There is no current envelope to withdraw.",
    )


# --- resumable uploads (tus 1.0.0) -------------------------------------------------------------


class TusVersionUnsupported(ServiceError):
    status = 412  # tus 1.0.0 core: an unsupported Tus-Resumable


class UnsupportedMediaType(ServiceError):
    status = 415


class UploadBusy(ServiceError):
    status = 423  # as tusd answers; tus-js-client retries on 423


class UploadGone(ServiceError):
    status = 410


class ChecksumMismatch(ServiceError):
    status = 460  # tus 1.0.0 checksum extension


def tus_version() -> TusVersionUnsupported:
    return TusVersionUnsupported(
        "bid.tus_version",
        "Sertakan Tus-Resumable: 1.0.0 (hanya tus 1.0.0 yang didukung).",
        "Send Tus-Resumable: 1.0.0 (only tus 1.0.0 is supported).",
        field="Tus-Resumable",
    )


def upload_length_required() -> BidError:
    return BidError(
        "bid.upload_length_required",
        "Sertakan Upload-Length (bilangan bulat bita); panjang yang ditunda tidak didukung.",
        "Send Upload-Length (a whole number of bytes); a deferred length is not supported.",
        field="Upload-Length",
    )


def sha256_required() -> BidError:
    return BidError(
        "bid.sha256_required",
        "Sertakan SHA-256 berkas di Upload-Metadata dengan kunci sha256.",
        "Declare the file's SHA-256 in Upload-Metadata under the key sha256.",
        field="Upload-Metadata",
    )


def sha256_malformed() -> BidError:
    return BidError(
        "bid.sha256_malformed",
        "Nilai sha256 di Upload-Metadata tidak sah: base64 dari 64 digit heksadesimal.",
        "The sha256 in Upload-Metadata is malformed: base64 of the 64 hexadecimal digits.",
        field="Upload-Metadata",
    )


def metadata_malformed() -> BidError:
    return BidError(
        "bid.metadata_malformed",
        "Upload-Metadata tidak sah: pasangan 'kunci nilai-base64' dipisah koma.",
        "Upload-Metadata is malformed: comma-separated 'key base64-value' pairs.",
        field="Upload-Metadata",
    )


def upload_not_found() -> NotFound:
    return NotFound(
        "bid.upload_not_found",
        "Unggahan tidak ditemukan (sudah selesai dibersihkan, dihentikan, atau bukan milik Anda).",
        "No such upload (swept, terminated, or not yours).",
    )


def upload_expired() -> UploadGone:
    return UploadGone(
        "bid.upload_expired",
        "Unggahan sudah kedaluwarsa dan dihapus; mulai unggahan baru.",
        "The upload has expired and was removed; start a new upload.",
    )


def upload_lost() -> UploadGone:
    return UploadGone(
        "bid.upload_lost",
        "Berkas sementara unggahan ini hilang; mulai unggahan baru.",
        "This upload's partial file is gone; start a new upload.",
    )


def offset_mismatch(expected: int, sent: int | None) -> Conflict:
    return Conflict(
        "bid.offset_mismatch",
        f"Upload-Offset {sent} tidak sama dengan posisi unggahan di server ({expected}); "
        "tanyakan posisinya dengan HEAD lalu lanjutkan dari sana.",
        f"Upload-Offset {sent} is not the upload's offset on the server ({expected}); "
        "ask with HEAD and resume from there.",
        field="Upload-Offset",
    )


def upload_offset_required() -> BidError:
    return BidError(
        "bid.upload_offset_required",
        "Sertakan Upload-Offset (bilangan bulat bita).",
        "Send Upload-Offset (a whole number of bytes).",
        field="Upload-Offset",
    )


def upload_busy() -> UploadBusy:
    return UploadBusy(
        "bid.upload_busy",
        "Unggahan ini sedang menerima data dari permintaan lain; coba lagi sebentar lagi.",
        "This upload is receiving data from another request; try again shortly.",
    )


def upload_overrun(length: int) -> PayloadTooLarge:
    return PayloadTooLarge(
        "bid.upload_overrun",
        f"Data melewati Upload-Length yang dinyatakan ({length} bita).",
        f"The data goes past the declared Upload-Length ({length} bytes).",
        field="Content-Length",
    )


def content_type_required() -> UnsupportedMediaType:
    return UnsupportedMediaType(
        "bid.content_type",
        "PATCH harus memakai Content-Type: application/offset+octet-stream.",
        "PATCH must use Content-Type: application/offset+octet-stream.",
        field="Content-Type",
    )


def checksum_unsupported(algorithm: str) -> BidError:
    return BidError(
        "bid.checksum_unsupported",
        f"Algoritma checksum '{algorithm}' tidak didukung (gunakan sha256 atau sha1).",
        f"Checksum algorithm '{algorithm}' is not supported (use sha256 or sha1).",
        field="Upload-Checksum",
    )


def checksum_malformed() -> BidError:
    return BidError(
        "bid.checksum_malformed",
        "Upload-Checksum tidak sah; gunakan 'sha256 <base64>'.",
        "Upload-Checksum is malformed; use 'sha256 <base64>'.",
        field="Upload-Checksum",
    )


def checksum_mismatch() -> ChecksumMismatch:
    return ChecksumMismatch(
        "bid.checksum_mismatch",
        "Checksum potongan ini tidak cocok; potongan dibuang, kirim ulang.",
        "This chunk's checksum does not match; the chunk was discarded, send it again.",
        field="Upload-Checksum",
    )
