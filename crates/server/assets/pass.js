// Keeps a resident's pass fresh on the "My code" page (/me).
//
// The page shows the pass's QR code with `data-expires` (when it runs out) and `data-now` (the
// server's time when the page was made), in seconds since the epoch. This script counts down
// by the server's clock, which checkpoints go by, whatever the phone's clock says; asks the
// server every few seconds (GET /me/pass?held=<expires>), which answers its time and, once
// the pass held runs out within a minute, a new pass, swapped in here; and asks at once when
// the page comes back into view. Without it the page still shows the pass and its expiry.
(function () {
  'use strict';
  var image = document.getElementById('pass-qr');
  var countdown = document.getElementById('pass-countdown');
  if (!image || !countdown || !window.fetch) {
    return;
  }
  var SYNC_EVERY_MS = 5000;
  var expires = Number(image.getAttribute('data-expires'));
  var margin = Number(image.getAttribute('data-refresh-margin')) || 60;
  // The server's clock minus the browser's, in milliseconds.
  var offset = Number(image.getAttribute('data-now')) * 1000 - Date.now();
  var lastSync = Date.now();
  var asking = false;

  function serverNow() {
    return (Date.now() + offset) / 1000;
  }

  function show() {
    var left = Math.floor(expires - serverNow());
    if (left <= 0) {
      countdown.textContent = countdown.getAttribute('data-expired');
      return;
    }
    var seconds = left % 60;
    countdown.textContent = countdown.getAttribute('data-label') + ' ' +
      Math.floor(left / 60) + ':' + (seconds < 10 ? '0' : '') + seconds;
  }

  function swap(answer) {
    image.src = answer.image;
    expires = answer.expires;
    image.setAttribute('data-expires', String(answer.expires));
    var until = document.getElementById('pass-expires');
    if (until) {
      until.textContent = answer.expires_text;
    }
    var colour = document.getElementById('colour');
    if (colour && answer.colour) {
      colour.className = 'big-colour colour-' + answer.colour;
      colour.setAttribute('data-colour', answer.colour);
      colour.textContent = answer.colour_name;
    }
  }

  function ask() {
    if (asking) {
      return;
    }
    asking = true;
    lastSync = Date.now();
    fetch('/me/pass?held=' + encodeURIComponent(String(expires)), {
      credentials: 'same-origin',
      cache: 'no-store',
      headers: { Accept: 'application/json' }
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error('status ' + response.status);
        }
        return response.json();
      })
      .then(function (answer) {
        offset = answer.now * 1000 - Date.now();
        if (answer.renewed) {
          swap(answer);
        }
      })
      .catch(function () {
        // Offline or signed out: the countdown goes on, and the next tick asks again.
      })
      .then(function () {
        asking = false;
        show();
      });
  }

  function tick() {
    show();
    if (expires - serverNow() <= margin || Date.now() - lastSync >= SYNC_EVERY_MS) {
      ask();
    }
  }

  countdown.hidden = false;
  show();
  window.setInterval(tick, 1000);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') {
      ask();
    }
  });
})();
