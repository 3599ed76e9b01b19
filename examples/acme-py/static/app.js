// Acme Py front-end: small enhancements only. Settings come from the page (home: /home-config.js).
(function () {
  'use strict';
  var settings = window.acmeHome || {};
  var signIn = document.getElementById('sign-in');
  if (signIn && settings.superOfficeUrl) {
    signIn.title = 'You sign in at ' + new URL(settings.superOfficeUrl).host;
  }
  // Company search as you type: waits for a pause in typing, and for enough letters.
  var search = document.getElementById('contact-search');
  var results = document.getElementById('search-results');
  if (search && results) {
    var timer;
    var show = function (names) {
      results.replaceChildren.apply(
        results,
        names.map(function (name) {
          var li = document.createElement('li');
          li.textContent = name;
          return li;
        }),
      );
    };
    search.addEventListener('input', function () {
      clearTimeout(timer);
      var q = search.value.trim();
      if (q.length < Number(search.dataset.min || 3)) {
        show([]);
        return;
      }
      timer = setTimeout(function () {
        fetch(search.dataset.url + '?q=' + encodeURIComponent(q), { credentials: 'same-origin' })
          .then(function (res) {
            return res.ok ? res.json() : { names: [] };
          })
          .then(function (body) {
            show(body.names || []);
          })
          .catch(function () {
            show([]);
          });
      }, 300);
    });
  }
  document.querySelectorAll('a.button').forEach(function (button) {
    button.addEventListener('click', function () {
      button.classList.add('busy');
    });
  });
})();
