// Uploading a sealed file: tus 1.0 resumable uploads with tus-js-client (8 MiB parts, retries
// with back-off, resume after a reload through its URL storage, keyed to the sealed file's
// SHA-256), or, only when the node does not offer tus, one whole PUT with Content-Digest.
// Both end with the receipt (a JWS the node signs): the Tangguh-Receipt header of the last
// PATCH, the PUT's JSON, or — when an earlier attempt already finished the upload — the
// caller's envelope list.

import { Upload } from "tus-js-client";
import { hexToBase64 } from "./_vendor_seal.js";

// Waits between attempts after a failure; the counter restarts whenever a part gets through,
// so a weak link that drops every few minutes keeps going.
const RETRY_DELAYS = [0, 1000, 3000, 5000, 10000, 20000, 30000, 60000, 60000, 60000];
// Codes worth another attempt: the node is busy with the same upload, the offset moved under
// us (a HEAD then tells where to go on), a part arrived damaged.
const RETRY_CODES = new Set(["bid.upload_busy", "bid.offset_mismatch", "bid.checksum_mismatch"]);

export class UploadError extends Error {
  constructor(status, body, fallback) {
    super((body && body.message) || fallback || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.code) || (status ? `http.${status}` : "network");
  }
}

function language() {
  return document.documentElement.lang === "en" ? "en" : "id";
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function endpointFor(code, envelope) {
  return new URL(`/api/v1/tenders/${encodeURIComponent(code)}/bids/mine/${encodeURIComponent(envelope)}`, location.origin).toString();
}

// Whether the node offers tus on this path (tus 1.0 "OPTIONS" discovery). A network failure
// is an error, not a "no": falling back to a whole PUT on a bad link would lose resumability.
export async function offersTus(endpoint) {
  let response;
  try {
    response = await fetch(endpoint, { method: "OPTIONS", credentials: "same-origin", cache: "no-store" });
  } catch (error) {
    throw new UploadError(0, null, `network error (${error.message})`);
  }
  if (response.status >= 500) throw new UploadError(response.status, null);
  const versions = response.headers.get("Tus-Version") || "";
  return response.ok && versions.split(",").map((v) => v.trim()).includes("1.0.0");
}

// The caller company's envelopes (GET …/bids/mine), or null.
export async function myEnvelopes(code, csrf) {
  try {
    const response = await fetch(`/api/v1/tenders/${encodeURIComponent(code)}/bids/mine`, {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json", "Accept-Language": language(), "X-CSRFToken": csrf },
    });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function receiptFromList(code, csrf, sha256, envelope) {
  const mine = await myEnvelopes(code, csrf);
  if (!mine) return null;
  return mine.envelopes.find((row) => row.sha256 === sha256 && row.envelope === envelope) || null;
}

function tusUpload({ code, envelope, endpoint, file, sha256, csrf, partSize, onProgress, onRetry }) {
  return new Promise((resolve, reject) => {
    let receipt = null;
    const upload = new Upload(file, {
      endpoint,
      chunkSize: partSize,
      retryDelays: RETRY_DELAYS,
      metadata: { sha256, filename: `${code}-${envelope}.age` },
      headers: { "X-CSRFToken": csrf, "Accept-Language": language() },
      // One stored upload URL per tender, envelope and sealed file: another file (another
      // hash) is another upload, and the same file resumes where it stopped.
      fingerprint: async () => `tangguh:${code}:${envelope}:${sha256}`,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onShouldRetry(error, attempt) {
        const response = error.originalResponse;
        const status = response ? response.getStatus() : 0;
        if (status === 0 || status >= 500 || status === 423) {
          onRetry(attempt, RETRY_DELAYS[attempt], error);
          return true;
        }
        const body = response ? parseJson(response.getBody()) : null;
        if (body && RETRY_CODES.has(body.code)) {
          onRetry(attempt, RETRY_DELAYS[attempt], error);
          return true;
        }
        return false;
      },
      onAfterResponse(request, response) {
        const token = response.getHeader("Tangguh-Receipt");
        if (token) receipt = token;
      },
      onProgress,
      onError(error) {
        const response = error.originalResponse;
        const status = response ? response.getStatus() : 0;
        reject(new UploadError(status, response ? parseJson(response.getBody()) : null, error.message));
      },
      async onSuccess() {
        const row = await receiptFromList(code, csrf, sha256, envelope);
        if (row) resolve({ ...row, receipt: receipt || row.receipt });
        else if (receipt) resolve({ receipt, sha256, size: file.size, envelope });
        else reject(new UploadError(0, null, "the upload finished but no receipt was found"));
      },
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(reject);
  });
}

function wholeUpload({ endpoint, file, sha256, csrf, onProgress }) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", endpoint);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.setRequestHeader("Content-Digest", `sha-256=:${hexToBase64(sha256)}:`);
    request.setRequestHeader("X-CSRFToken", csrf);
    request.setRequestHeader("Accept-Language", language());
    request.upload.onprogress = (event) => onProgress(event.loaded, file.size);
    request.onload = () => {
      const body = parseJson(request.responseText);
      if (request.status === 200 || request.status === 201) resolve(body);
      else reject(new UploadError(request.status, body));
    };
    request.onerror = () => reject(new UploadError(0, null, "network error"));
    request.send(file); // a Blob: the browser streams it from disk
  });
}

// Upload `file` (the sealed Blob) as the caller's `envelope` of tender `code`; resolves to the
// envelope row with its receipt.
export async function uploadSealed(options) {
  const endpoint = endpointFor(options.code, options.envelope);
  if (await offersTus(endpoint)) return tusUpload({ ...options, endpoint });
  return wholeUpload({ ...options, endpoint });
}
