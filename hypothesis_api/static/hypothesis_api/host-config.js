// The Hypothesis client's configuration on an article page (?client=hypothesis): read from the JSON the page
// carries (no inline script under the site's CSP) and given to the client as window.hypothesisConfig, with the
// handlers it calls for Log in, Sign up and Log out: our own pages, coming back to this article.
(function () {
  "use strict";
  var element = document.getElementById("hypothesis-host-config");
  if (!element) return;
  var config = JSON.parse(element.textContent);
  var links = config.siteLinks || {};
  delete config.siteLinks;
  var service = config.services[0];
  service.onLoginRequest = function () { window.location.assign(links.login); };
  service.onSignupRequest = function () { window.location.assign(links.signup); };
  service.onLogoutRequest = function () {
    // Django logs out on POST, with the CSRF token of the header's own log-out form
    var token = document.querySelector('form[action="' + links.logout + '"] input[name="csrfmiddlewaretoken"]');
    var form = document.createElement("form");
    form.method = "post";
    form.action = links.logout;
    form.hidden = true;
    [["csrfmiddlewaretoken", token ? token.value : ""], ["next", links.back]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  };
  window.hypothesisConfig = function () { return config; };
})();
