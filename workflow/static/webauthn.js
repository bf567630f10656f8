// Security keys and passkeys (WebAuthn): the one part of the desk that needs JavaScript. A button with
// data-webauthn="register" or "sign-in" runs the ceremony: it asks the server for options, hands them to the
// browser, and posts the browser's answer back. Without JavaScript the button stays hidden and the page offers
// codes instead.
(function () {
  "use strict";

  function fromBase64url(text) {
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) {
      bytes[i] = raw.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) {
      raw += String.fromCharCode(bytes[i]);
    }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, { id: fromBase64url(item.id) });
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      user: Object.assign({}, json.user, { id: fromBase64url(json.user.id) }),
      excludeCredentials: withIds(json.excludeCredentials)
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: fromBase64url(json.challenge),
      allowCredentials: withIds(json.allowCredentials)
    });
  }

  function answer(credential) {
    var response = credential.response;
    var json = {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toBase64url(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      json.response.attestationObject = toBase64url(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toBase64url(response.authenticatorData);
      json.response.signature = toBase64url(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toBase64url(response.userHandle);
      }
    }
    return json;
  }

  function post(button, url, token, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json" },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          throw new Error(data.error || words(button, "failed",
            "The desk could not take the key’s answer. Reload the page and try again."));
        }
        return data;
      });
    });
  }

  function say(button, message) {
    var status = document.getElementById(button.getAttribute("data-status"));
    if (status) {
      status.textContent = message;
    }
  }

  function showCodes(button, data) {
    var panel = document.getElementById(button.getAttribute("data-codes"));
    var list = panel.querySelector("ol");
    data.codes.forEach(function (code) {
      var item = document.createElement("li");
      var text = document.createElement("code");
      text.textContent = code;
      item.appendChild(text);
      list.appendChild(item);
    });
    panel.querySelector("a").setAttribute("href", data.next);
    panel.hidden = false;
    button.closest("form").hidden = true;
    panel.querySelector("h2").focus();
  }

  // What the page says while the key is used, in the page's language: the template gives each sentence in a
  // data-say-* attribute (the English here is only a fallback).
  function words(button, key, english) {
    return button.getAttribute("data-say-" + key) || english;
  }

  function register(button) {
    var token = button.getAttribute("data-csrf");
    var name = document.getElementById(button.getAttribute("data-name"));
    if (!name.value.trim()) {
      say(button, words(button, "name-first", "Give the key a name first."));
      name.focus();
      return;
    }
    say(button, words(button, "touch", "Touch your key, or confirm on your device, when it asks."));
    post(button, button.getAttribute("data-options"), token).then(function (options) {
      return navigator.credentials.create({ publicKey: creationOptions(options) });
    }).then(function (credential) {
      return post(button, button.getAttribute("data-submit"), token, { name: name.value, credential: answer(credential) });
    }).then(function (data) {
      if (data.codes && data.codes.length) {
        say(button, words(button, "added", "The key “{name}” is added.").replace("{name}", data.name));
        showCodes(button, data);
      } else {
        window.location.assign(data.next);
      }
    }).catch(function (error) {
      say(button, error.name === "NotAllowedError"
        ? words(button, "refused", "The key was not used in time, or was refused. Try again.") : error.message);
    });
  }

  function signIn(button) {
    var token = button.getAttribute("data-csrf");
    say(button, words(button, "touch", "Touch your key, or confirm on your device, when it asks."));
    post(button, button.getAttribute("data-options"), token).then(function (options) {
      return navigator.credentials.get({ publicKey: requestOptions(options) });
    }).then(function (credential) {
      return post(button, button.getAttribute("data-submit"), token, answer(credential));
    }).then(function (data) {
      window.location.assign(data.next);
    }).catch(function (error) {
      say(button, error.name === "NotAllowedError"
        ? words(button, "refused", "The key was not used in time, or was refused. Try again.") : error.message);
    });
  }

  if (!window.PublicKeyCredential || !window.fetch) {
    return; // the page's other ways stay: codes from the app, recovery codes
  }
  document.querySelectorAll("[data-webauthn]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function (event) {
      event.preventDefault();
      (button.getAttribute("data-webauthn") === "register" ? register : signIn)(button);
    });
  });
})();
