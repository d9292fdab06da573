/* Files sent from the page straight to Google Cloud Storage; the registry only authorises and checks.
   For each file: the server opens a resumable upload session (POST .../direct-uploads), the page
   sends the file to it in 8 MiB pieces with progress, asks the bucket where it stands and goes on
   after a network error, computes the file's CRC32C and SHA-256 on the way (one pass, no copy kept),
   and finishes (POST .../direct-uploads/complete): the server records the file only if the bucket's
   object has the same size and CRC32C. Cancel deletes the session and tells the server.
   uploads.js calls ModelRegistryDirectUpload.send(item, list, openUrl) when the form names a
   direct-upload URL (GCS stores: the Artifacts tab, and the new version page once its script has
   created the version); otherwise files go through the JSON API. */
(function () {
  "use strict";

  var root = document.getElementById("model-registry");
  if (!root) return;
  var csrfToken = root.getAttribute("data-csrf-token");
  var PIECE = 8 * 1024 * 1024;  // a multiple of 256 KiB, as GCS wants for every piece but the last
  var RETRIES = 6;

  /* -- CRC32C (Castagnoli), as GCS computes it ------------------------------------------- */
  var CRC_TABLE = (function () {
    var table = new Uint32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82F63B78 : c >>> 1;
      table[n] = c >>> 0;
    }
    return table;
  })();

  function Crc32c() { this.c = 0xFFFFFFFF; }
  Crc32c.prototype.update = function (bytes) {
    var c = this.c;
    for (var i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xFF] ^ (c >>> 8);
    this.c = c;
  };
  Crc32c.prototype.value = function () { return (this.c ^ 0xFFFFFFFF) >>> 0; };

  /* -- SHA-256, streaming (WebCrypto hashes only whole buffers) --------------------------- */
  var K = new Uint32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2]);

  function Sha256() {
    this.h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
    this.w = new Uint32Array(64);
    this.buf = new Uint8Array(64);
    this.bufLen = 0;
    this.total = 0;
  }
  Sha256.prototype.block = function (p, off) {
    var w = this.w, h = this.h, i;
    for (i = 0; i < 16; i++) {
      var j = off + 4 * i;
      w[i] = (p[j] << 24) | (p[j + 1] << 16) | (p[j + 2] << 8) | p[j + 3];
    }
    for (i = 16; i < 64; i++) {
      var x = w[i - 15], y = w[i - 2];
      var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (i = 0; i < 64; i++) {
      var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      var t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
  };
  Sha256.prototype.update = function (data) {
    var i = 0, n = data.length;
    this.total += n;
    if (this.bufLen) {
      while (this.bufLen < 64 && i < n) this.buf[this.bufLen++] = data[i++];
      if (this.bufLen < 64) return;
      this.block(this.buf, 0);
      this.bufLen = 0;
    }
    for (; i + 64 <= n; i += 64) this.block(data, i);
    while (i < n) this.buf[this.bufLen++] = data[i++];
  };
  Sha256.prototype.hex = function () {
    var total = this.total;
    var padLen = (this.bufLen < 56 ? 56 : 120) - this.bufLen;
    var pad = new Uint8Array(padLen + 8);
    pad[0] = 0x80;
    var hi = Math.floor(total / 0x20000000), lo = (total * 8) >>> 0;
    pad[padLen] = hi >>> 24; pad[padLen + 1] = hi >>> 16; pad[padLen + 2] = hi >>> 8; pad[padLen + 3] = hi;
    pad[padLen + 4] = lo >>> 24; pad[padLen + 5] = lo >>> 16; pad[padLen + 6] = lo >>> 8; pad[padLen + 7] = lo;
    this.update(pad);
    var out = "";
    for (var i = 0; i < 8; i++) out += ("00000000" + this.h[i].toString(16)).slice(-8);
    return out;
  };

  /* -- talking to the registry and to the bucket ------------------------------------------ */
  function api(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body),
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken }
    }).then(function (response) {
      return response.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (!response.ok) {
          var message = data && data.error && data.error.message || ("HTTP " + response.status);
          throw new Error(message);
        }
        return data;
      });
    });
  }

  /* PUT bytes [start, start + data.length) of ``total``; resolves with the XHR (308 or 200/201). */
  function putPiece(item, sessionUrl, data, start, total, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      item.xhr = xhr;
      xhr.open("PUT", sessionUrl);
      var range = data.length ? "bytes " + start + "-" + (start + data.length - 1) + "/" + total : "bytes */" + total;
      xhr.setRequestHeader("Content-Range", range);
      xhr.upload.addEventListener("progress", function (event) { onProgress(start + event.loaded); });
      xhr.addEventListener("load", function () { resolve(xhr); });
      xhr.addEventListener("error", function () { reject(new Error("network")); });
      xhr.addEventListener("abort", function () { reject(new Error("canceled")); });
      xhr.send(data.length ? data : null);
    });
  }

  /* Where the bucket stands: the next byte it wants, after an empty status query. */
  function askOffset(item, sessionUrl, total) {
    return putPiece(item, sessionUrl, new Uint8Array(0), 0, total, function () {}).then(function (xhr) {
      if (xhr.status === 200 || xhr.status === 201) return total;
      var range = xhr.getResponseHeader("Range");  // "bytes=0-N" (the bucket's CORS must expose it)
      return range ? parseInt(range.split("-")[1], 10) + 1 : 0;
    });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function send(item, list, openUrl) {
    var file = item.file, total = file.size;
    var crc = new Crc32c(), sha = new Sha256();
    var hashed = 0, opened = null;
    var t = window.ModelRegistryI18n ? window.ModelRegistryI18n.t : function (key) { return key; };

    function progress(sent) {
      var percent = total ? Math.floor(sent / total * 100) : 100;
      item.progress.value = percent;
      item.status.textContent = t("uploading_percent", { percent: percent });
    }

    function sendFrom(offset, retries) {
      if (item.canceled) return Promise.reject(new Error("canceled"));
      if (offset >= total && total > 0) return Promise.resolve();
      var end = Math.min(total, offset + PIECE);
      return file.slice(offset, end).arrayBuffer().then(function (buffer) {
        var bytes = new Uint8Array(buffer);
        if (end > hashed) {  // each byte is hashed once, however often it is sent
          var fresh = bytes.subarray(hashed - offset);
          crc.update(fresh);
          sha.update(fresh);
          hashed = end;
        }
        return putPiece(item, opened.session_url, bytes, offset, total, progress);
      }).then(function (xhr) {
        if (xhr.status === 200 || xhr.status === 201) return null;
        if (xhr.status === 308) return sendFrom(end, RETRIES);
        throw new Error(t("bucket_answered", { status: xhr.status }));
      }, function (error) {
        if (error.message === "canceled" || retries <= 0) throw error;
        // a network error: wait, ask the bucket how far it got, and go on from there
        return wait(1000 * Math.pow(2, RETRIES - retries)).then(function () {
          return askOffset(item, opened.session_url, total);
        }).then(function (next) { return sendFrom(next, retries - 1); },
                function () { return sendFrom(offset, retries - 1); });
      });
    }

    item.li.setAttribute("data-state", "uploading");
    progress(0);
    // settles once the server has let the upload go, so that what the page does next (deleting
    // the version it was for) comes after it
    item.cancelDirect = function () {
      if (!opened) return Promise.resolve();
      fetch(opened.session_url, { method: "DELETE" }).catch(function () {});
      return api(openUrl + "/cancel", { upload: opened.upload }).catch(function () {});
    };
    return api(openUrl, { path: item.path, size: total, content_type: file.type || "" }).then(function (answer) {
      opened = answer;
      if (total === 0) return putPiece(item, opened.session_url, new Uint8Array(0), 0, 0, progress);
      return sendFrom(0, RETRIES);
    }).then(function () {
      return api(openUrl + "/complete", { upload: opened.upload, sha256: sha.hex(), crc32c: crc.value() });
    }).then(function () {
      list.finish(item, "done", t("uploaded"));
      return { ok: true };
    }, function (error) {
      if (item.canceled || error.message === "canceled") {
        list.finish(item, "canceled", t("canceled"));
        return item.cancelDirect().then(function () { return { ok: false, error: "canceled" }; });
      }
      var message = error.message === "network" ? t("connection_broke") : error.message;
      list.finish(item, "failed", t("failed", { problem: message }));
      var left = opened ? api(openUrl + "/cancel", { upload: opened.upload }).catch(function () {}) : Promise.resolve();
      return left.then(function () { return { ok: false, error: message }; });
    });
  }

  window.ModelRegistryDirectUpload = { send: send, Sha256: Sha256, Crc32c: Crc32c };
})();
