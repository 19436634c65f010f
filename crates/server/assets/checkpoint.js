// The checkpoint page's script: reads passes with the camera where the browser can, keeps the
// region's trust list on the device, and verifies a pass's text in the browser before (or
// instead of, when offline) asking the server, which logs the visit.
//
// A pass is "HCODE1:" + Base45(zlib(COSE_Sign1(CBOR claims))). Base45 and CBOR are read here in
// a few lines; zlib is the browser's DecompressionStream; every signature is checked by the
// browser's WebCrypto, never by code of ours. Without this script the page still works: the
// form posts the photo or the text to the server.
(function () {
  'use strict';

  var root = document.getElementById('checkpoint');
  if (!root) return;
  var texts = document.getElementById('checkpoint-texts');
  var form = document.getElementById('scan-form');
  var passText = document.getElementById('pass-text');
  var photo = document.getElementById('photo');
  var venueId = document.getElementById('venue-id');
  var eventId = document.getElementById('event-id');
  var temperature = document.getElementById('temperature');
  var panel = document.getElementById('verdict');
  var errorBox = document.getElementById('scan-error');
  var status = document.getElementById('trust-list-status');
  var anchorText = root.getAttribute('data-anchor') || '';
  var offsetText = root.getAttribute('data-offset') || '+00:00';
  var STORE_KEY = 'healthcode.checkpoint.trustList';
  var MAX_INFLATED = 64 * 1024;

  function text(name) {
    return texts.getAttribute('data-' + name) || '';
  }

  // The device's clock: what a pass's dates are checked against offline.
  function deviceNow() {
    return Date.now();
  }

  function failure(code) {
    var error = new Error(code);
    error.code = code;
    return error;
  }

  // ---- Base45 (RFC 9285) ------------------------------------------------------------------
  var BASE45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';

  function base45Decode(input) {
    var values = [];
    for (var i = 0; i < input.length; i++) {
      var value = BASE45.indexOf(input.charAt(i));
      if (value < 0) throw failure('base45');
      values.push(value);
    }
    if (values.length % 3 === 1) throw failure('base45');
    var out = [];
    for (var at = 0; at < values.length; at += 3) {
      if (at + 2 < values.length) {
        var n = values[at] + values[at + 1] * 45 + values[at + 2] * 2025;
        if (n > 0xffff) throw failure('base45');
        out.push(n >> 8, n & 0xff);
      } else {
        var m = values[at] + values[at + 1] * 45;
        if (m > 0xff) throw failure('base45');
        out.push(m);
      }
    }
    return new Uint8Array(out);
  }

  // ---- zlib, by the browser ------------------------------------------------------------------
  async function inflate(bytes) {
    var reader;
    var chunks = [];
    var total = 0;
    try {
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
      reader = stream.getReader();
      for (;;) {
        var step = await reader.read();
        if (step.done) break;
        total += step.value.length;
        if (total > MAX_INFLATED) {
          reader.cancel();
          throw failure('zlib');
        }
        chunks.push(step.value);
      }
    } catch (error) {
      throw failure('zlib');
    }
    return concat(chunks);
  }

  function concat(parts) {
    var length = 0;
    parts.forEach(function (part) { length += part.length; });
    var out = new Uint8Array(length);
    var at = 0;
    parts.forEach(function (part) { out.set(part, at); at += part.length; });
    return out;
  }

  // ---- CBOR (RFC 8949), only what passes and trust lists use -------------------------------
  function Tagged(tag, value) {
    this.tag = tag;
    this.value = value;
  }

  function decodeCbor(bytes) {
    var at = 0;
    var view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    var utf8 = new TextDecoder('utf-8', { fatal: true });
    function need(count) {
      if (at + count > bytes.length) throw new Error('CBOR ends early');
    }
    function argument(info) {
      var value;
      if (info < 24) return info;
      if (info === 24) { need(1); return bytes[at++]; }
      if (info === 25) { need(2); value = view.getUint16(at); at += 2; return value; }
      if (info === 26) { need(4); value = view.getUint32(at); at += 4; return value; }
      if (info === 27) {
        need(8);
        var big = view.getBigUint64(at);
        at += 8;
        if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('CBOR integer too large');
        return Number(big);
      }
      throw new Error('CBOR of indefinite length');
    }
    function item(depth) {
      if (depth > 32) throw new Error('CBOR nested too deep');
      need(1);
      var initial = bytes[at++];
      var major = initial >> 5;
      var info = initial & 31;
      var count, index, value;
      switch (major) {
        case 0: return argument(info);
        case 1: return -1 - argument(info);
        case 2:
          count = argument(info); need(count);
          value = bytes.slice(at, at + count); at += count;
          return value;
        case 3:
          count = argument(info); need(count);
          value = utf8.decode(bytes.subarray(at, at + count)); at += count;
          return value;
        case 4:
          count = argument(info);
          value = [];
          for (index = 0; index < count; index++) value.push(item(depth + 1));
          return value;
        case 5:
          count = argument(info);
          value = new Map();
          for (index = 0; index < count; index++) {
            var key = item(depth + 1);
            if (value.has(key)) throw new Error('CBOR map key twice');
            value.set(key, item(depth + 1));
          }
          return value;
        case 6:
          count = argument(info);
          return new Tagged(count, item(depth + 1));
        default:
          if (info === 20) return false;
          if (info === 21) return true;
          if (info === 22 || info === 23) return null;
          if (info === 26) { need(4); value = view.getFloat32(at); at += 4; return value; }
          if (info === 27) { need(8); value = view.getFloat64(at); at += 8; return value; }
          throw new Error('CBOR simple value not read here');
      }
    }
    var result = item(0);
    if (at !== bytes.length) throw new Error('bytes after the CBOR item');
    return result;
  }

  function cborHead(major, length) {
    var type = major << 5;
    if (length < 24) return new Uint8Array([type | length]);
    if (length < 0x100) return new Uint8Array([type | 24, length]);
    if (length < 0x10000) return new Uint8Array([type | 25, length >> 8, length & 0xff]);
    return new Uint8Array([type | 26, (length >>> 24) & 0xff, (length >> 16) & 0xff,
      (length >> 8) & 0xff, length & 0xff]);
  }

  // The bytes a COSE_Sign1 signature covers: ["Signature1", protected, h'', payload].
  function sigStructure(protectedBytes, payload) {
    var context = new TextEncoder().encode('Signature1');
    return concat([
      new Uint8Array([0x84]), cborHead(3, context.length), context,
      cborHead(2, protectedBytes.length), protectedBytes,
      new Uint8Array([0x40]),
      cborHead(2, payload.length), payload
    ]);
  }

  // ---- COSE_Sign1 (RFC 9052) ---------------------------------------------------------------
  var ALGORITHMS = { '-7': 'ES256', '-8': 'EdDSA', '-37': 'PS256' };

  function parseSign1(bytes) {
    try {
      var value = decodeCbor(bytes);
      if (value instanceof Tagged && value.tag === 61) value = value.value;
      if (value instanceof Tagged) {
        if (value.tag !== 18) throw new Error('not a COSE_Sign1 tag');
        value = value.value;
      }
      if (!Array.isArray(value) || value.length !== 4) throw new Error('not four parts');
      var protectedBytes = value[0], unprotected = value[1], payload = value[2], signature = value[3];
      if (!(protectedBytes instanceof Uint8Array) || !(unprotected instanceof Map) ||
          !(payload instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
        throw new Error('parts of the wrong types');
      }
      var header = protectedBytes.length ? decodeCbor(protectedBytes) : new Map();
      if (!(header instanceof Map)) throw new Error('the protected header is not a map');
      var alg = header.has(1) ? header.get(1) : unprotected.get(1);
      var kid = header.get(4);
      if (!(kid instanceof Uint8Array) || kid.length === 0) kid = unprotected.get(4);
      if (!(kid instanceof Uint8Array)) kid = new Uint8Array(0);
      var algorithm = ALGORITHMS[String(alg)];
      if (!algorithm) throw new Error('algorithm not supported');
      return {
        protectedBytes: protectedBytes, payload: payload, signature: signature,
        algorithm: algorithm, kid: kid
      };
    } catch (error) {
      throw failure('cose_structure');
    }
  }

  // ---- Signatures: WebCrypto only ----------------------------------------------------------
  async function importKey(algorithm, bytes) {
    try {
      if (algorithm === 'ES256') {
        return await crypto.subtle.importKey(bytes[0] === 0x30 ? 'spki' : 'raw', bytes,
          { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
      }
      if (algorithm === 'EdDSA') {
        return await crypto.subtle.importKey(bytes.length === 32 ? 'raw' : 'spki', bytes,
          { name: 'Ed25519' }, false, ['verify']);
      }
    } catch (error) {
      return null;
    }
    // PS256 keys come as PKCS#1, which WebCrypto does not read: the server checks those.
    return null;
  }

  async function verifies(algorithm, key, signature, message) {
    var params = algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
    try {
      return await crypto.subtle.verify(params, key, signature, message);
    } catch (error) {
      return false;
    }
  }

  function sameBytes(a, b) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) {
      return false;
    }
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function unhex(hex) {
    var out = new Uint8Array(hex.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
    return out;
  }

  function toBase64(bytes) {
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  function fromBase64(text) {
    var binary = atob(text);
    var out = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  // ---- The trust list ----------------------------------------------------------------------
  // Opens a signed trust list, checking it against the region's anchor the page names.
  async function openTrustList(bytes) {
    var split = anchorText.indexOf(':');
    var anchorAlgorithm = anchorText.slice(0, split);
    var anchorKey = await importKey(anchorAlgorithm, unhex(anchorText.slice(split + 1)));
    var signed = parseSign1(bytes);
    var good = anchorKey && signed.algorithm === anchorAlgorithm &&
      await verifies(anchorAlgorithm, anchorKey, signed.signature,
        sigStructure(signed.protectedBytes, signed.payload));
    if (!good) throw failure('trust_list_refused');
    var list = decodeCbor(signed.payload);
    var keys = (list.get(3) || []).map(function (entry) {
      return { kid: entry.get(1), algorithm: entry.get(2), key: entry.get(3), until: entry.get(4) };
    });
    return { issuer: list.get(1), issuedAt: list.get(2), keys: keys };
  }

  function cachedTrustList() {
    try {
      var cached = JSON.parse(localStorage.getItem(STORE_KEY) || 'null');
      if (cached && cached.anchor === anchorText && cached.list) return cached;
    } catch (error) {
      // A damaged entry is as good as none.
    }
    return null;
  }

  function showTrustListStatus(cached) {
    if (cached) {
      status.textContent = text('trust-list-from') + ' ' + formatTime(cached.fetched_at);
      status.setAttribute('data-fetched-at', String(cached.fetched_at));
    } else {
      status.textContent = text('no-trust-list');
      status.removeAttribute('data-fetched-at');
    }
  }

  async function refreshTrustList() {
    showTrustListStatus(cachedTrustList());
    if (!navigator.onLine) return;
    try {
      var response = await fetch('/.well-known/healthcode/trust-list', { cache: 'no-store' });
      if (!response.ok) return;
      var bytes = new Uint8Array(await response.arrayBuffer());
      await openTrustList(bytes);
      var record = { anchor: anchorText, fetched_at: deviceNow(), list: toBase64(bytes) };
      localStorage.setItem(STORE_KEY, JSON.stringify(record));
      showTrustListStatus(record);
    } catch (error) {
      if (error.code === 'trust_list_refused') status.textContent = text('trust-list-refused');
      // Otherwise the network failed: the list kept before stays in use.
    }
  }

  // ---- Verifying a pass in the browser -----------------------------------------------------
  // The same steps as the server's verifier, in its order; the first that fails is the reason.
  async function verifyOffline(input) {
    var trimmed = input.trim();
    var kind;
    if (trimmed.indexOf('HCODE1:') === 0) kind = 'HCODE1:';
    else if (trimmed.indexOf('HC1:') === 0) kind = 'HC1:';
    else if (trimmed.indexOf('HCVENUE1:') === 0) throw failure('not_a_pass');
    else throw failure('prefix');
    var signed = parseSign1(await inflate(base45Decode(trimmed.slice(kind.length))));
    // The device's list holds this region's pass keys only; EU certificates' signers and
    // other regions' keys are known to the server.
    if (kind === 'HC1:') throw failure('unknown_key');
    var cached = cachedTrustList();
    if (!cached) throw failure('no_trust_list');
    var list = await openTrustList(fromBase64(cached.list));
    var now = Math.floor(deviceNow() / 1000);
    var candidates = list.keys.filter(function (listed) {
      return sameBytes(listed.kid, signed.kid) && listed.algorithm === signed.algorithm &&
        (listed.until === null || listed.until === undefined || now <= listed.until);
    });
    if (candidates.length === 0) throw failure('unknown_key');
    var message = sigStructure(signed.protectedBytes, signed.payload);
    var good = false;
    for (var i = 0; i < candidates.length && !good; i++) {
      var key = await importKey(candidates[i].algorithm, candidates[i].key);
      good = Boolean(key) && await verifies(candidates[i].algorithm, key, signed.signature, message);
    }
    if (!good) throw failure('bad_signature');
    var claims, fields;
    try {
      claims = decodeCbor(signed.payload);
      fields = claims.get(-65537);
    } catch (error) {
      throw failure('claims');
    }
    var colour = fields instanceof Map ? fields.get(1) : null;
    var issuedAt = claims.get(6);
    var expires = claims.get(4);
    if (['green', 'yellow', 'red'].indexOf(colour) < 0 || typeof issuedAt !== 'number' ||
        typeof expires !== 'number' || typeof fields.get(4) !== 'string') {
      throw failure('claims');
    }
    if (now < issuedAt) throw failure('not_yet_valid');
    if (now > expires) throw failure('expired');
    return {
      colour: colour,
      name: fields.get(4),
      birthYear: typeof fields.get(5) === 'number' ? fields.get(5) : null,
      issuer: list.issuer,
      expires: expires
    };
  }

  // ---- The verdict panel -------------------------------------------------------------------
  function formatTime(milliseconds) {
    var match = /^([+-])(\d{2}):(\d{2})$/.exec(offsetText);
    var offset = match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) * 60000 : 0;
    var date = new Date(milliseconds + offset);
    function pad(number) { return String(number).padStart(2, '0'); }
    return date.getUTCFullYear() + '-' + pad(date.getUTCMonth() + 1) + '-' + pad(date.getUTCDate()) +
      ' ' + pad(date.getUTCHours()) + ':' + pad(date.getUTCMinutes());
  }

  function offlinePanel(result, error) {
    if (result) {
      return {
        verdict: 'valid', reason_code: '', colour: result.colour,
        headline: text(result.colour), reason: text('valid-reason'),
        name: result.name, birth_year: result.birthYear, issuer: result.issuer,
        expires: formatTime(result.expires * 1000), temperature: null, colour_now: null,
        colour_now_word: null, logged: '', mode: 'offline', mode_text: text('checked-offline')
      };
    }
    var code = error && error.code ? error.code : 'cose_structure';
    var words = code === 'no_trust_list' ? text('no-trust-list-reason')
      : ['base45', 'zlib', 'cose_structure'].indexOf(code) >= 0 ? text('reason-damaged')
        : text('reason-' + code) || text('reason-damaged');
    return {
      verdict: 'invalid', reason_code: code, colour: 'red', headline: text('not-valid'),
      reason: words, name: null, birth_year: null, issuer: null, expires: null,
      temperature: null, colour_now: null, colour_now_word: null,
      logged: text('not-logged-invalid'), mode: 'offline', mode_text: text('checked-offline')
    };
  }

  function setRow(id, value) {
    var row = document.getElementById('row-' + id);
    var cell = document.getElementById('verdict-' + id);
    var shown = value !== null && value !== undefined && value !== '';
    row.hidden = !shown;
    cell.textContent = shown ? String(value) : '';
  }

  function showPanel(view) {
    panel.hidden = false;
    panel.className = 'verdict verdict-' + view.colour;
    panel.setAttribute('data-verdict', view.verdict);
    panel.setAttribute('data-colour', view.colour);
    panel.setAttribute('data-reason', view.reason_code || '');
    panel.setAttribute('data-mode', view.mode);
    document.getElementById('verdict-headline').textContent = view.headline;
    document.getElementById('verdict-reason').textContent = view.reason;
    setRow('name', view.name);
    setRow('birth-year', view.birth_year);
    setRow('issuer', view.issuer);
    setRow('expires', view.expires);
    setRow('temperature', view.temperature);
    setRow('colour-now', view.colour_now_word);
    if (view.colour_now) {
      var chip = document.createElement('span');
      chip.className = 'colour colour-' + view.colour_now;
      chip.textContent = view.colour_now_word;
      var cell = document.getElementById('verdict-colour-now');
      cell.textContent = '';
      cell.appendChild(chip);
    }
    document.getElementById('verdict-logged').textContent = view.logged;
    document.getElementById('verdict-mode').textContent = view.mode_text;
    panel.scrollIntoView({ block: 'nearest' });
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function newEventId() {
    if (crypto.randomUUID) eventId.value = crypto.randomUUID();
  }

  // Checks a pass's text here, then, when online, on the server, which logs the visit.
  async function checkText(input) {
    showError('');
    if (!input.trim()) {
      showError(text('empty-text'));
      return;
    }
    var view;
    try {
      view = offlinePanel(await verifyOffline(input), null);
    } catch (error) {
      view = offlinePanel(null, error);
    }
    var online = navigator.onLine;
    // A definite failure is final; a key this device does not hold may be one the server has.
    var ask = online && (view.verdict === 'valid' ||
      view.reason_code === 'unknown_key' || view.reason_code === 'no_trust_list');
    if (view.verdict === 'valid') view.logged = ask ? text('checking') : text('not-logged-offline');
    showPanel(view);
    if (!ask) return;
    try {
      var response = await fetch('/checkpoint/scans', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
        body: JSON.stringify({
          venue_id: venueId.value, text: input, event_id: eventId.value,
          temperature: temperature.value
        })
      });
      var type = response.headers.get('Content-Type') || '';
      if (!response.ok || type.indexOf('application/json') !== 0) {
        view.logged = response.redirected ? text('signed-out') : text('server-unreachable');
        showPanel(view);
        return;
      }
      var answer = await response.json();
      if (answer.error) {
        showError(answer.error);
        if (view.verdict === 'valid') view.logged = text('not-logged-offline');
        showPanel(view);
        return;
      }
      showPanel(answer.panel);
      newEventId();
      passText.value = '';
      temperature.value = '';
    } catch (error) {
      view.logged = text('server-unreachable');
      showPanel(view);
    }
  }

  form.addEventListener('submit', function (event) {
    var submitter = event.submitter;
    var usingText = submitter ? submitter.value === 'text'
      : photo.files.length === 0 && passText.value.trim() !== '';
    // A photo goes to the server as the form: it decodes the QR code.
    if (!usingText) return;
    event.preventDefault();
    checkText(passText.value);
  });

  // ---- The camera, where the browser reads QR codes ----------------------------------------
  var camera = document.getElementById('camera');
  var startButton = document.getElementById('camera-start');
  var stopButton = document.getElementById('camera-stop');
  var video = document.getElementById('camera-video');
  var stream = null;

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  if ('BarcodeDetector' in window && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    camera.hidden = false;
    startButton.addEventListener('click', async function () {
      showError('');
      try {
        var detector = new window.BarcodeDetector({ formats: ['qr_code'] });
        stream = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: 'environment' }, audio: false
        });
        video.srcObject = stream;
        video.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        await video.play();
        var look = async function () {
          if (!stream) return;
          try {
            var codes = await detector.detect(video);
            if (codes.length > 0) {
              var found = codes[0].rawValue;
              stopCamera();
              passText.value = found;
              checkText(found);
              return;
            }
          } catch (error) {
            // A frame that cannot be read yet; try the next one.
          }
          setTimeout(look, 250);
        };
        look();
      } catch (error) {
        stopCamera();
        showError(text('camera-failed'));
      }
    });
    stopButton.addEventListener('click', stopCamera);
  } else {
    camera.hidden = true;
  }

  refreshTrustList();
  window.addEventListener('online', refreshTrustList);
})();
