// Acme Py front-end: small enhancements only. Settings come from the page (home: /home-config.js).
(function () {
  'use strict';
  var settings = window.acmeHome || {};
  var signIn = document.getElementById('sign-in');
  if (signIn && settings.superOfficeUrl) {
    signIn.title = 'You sign in at ' + new URL(settings.superOfficeUrl).host;
  }
  document.querySelectorAll('a.button').forEach(function (button) {
    button.addEventListener('click', function () {
      button.classList.add('busy');
    });
  });
})();
