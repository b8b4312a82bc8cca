// The dashboard's only script: the overview's feed of events and its
// cards, kept up to date from the live stream. The browser's EventSource
// reconnects by itself and resumes from the last id it got. Text is set
// with textContent, never as HTML, so a message cannot inject markup.
// The cards are read again (their numbers as JSON) after news arrives, at
// most every few seconds however busy the stream.
"use strict";
(function () {
  var feed = document.getElementById("live-feed");
  var state = document.getElementById("live-state");
  if (!feed || !window.EventSource) {
    return;
  }
  var KEPT = 30;
  var source = new EventSource(feed.dataset.stream);
  function say(text) {
    if (state) {
      state.textContent = text;
    }
  }
  var cards = document.getElementById("cards");
  var REFRESH_MS = 3000;
  var refreshing = null;
  function refreshCards() {
    if (!cards || refreshing) {
      return;
    }
    refreshing = setTimeout(function () {
      fetch(cards.dataset.refresh, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (numbers) {
          refreshing = null;
          if (!numbers) {
            return;
          }
          Object.keys(numbers).forEach(function (id) {
            var card = document.getElementById(id);
            var value = card && card.querySelector(".value");
            if (value && value.textContent !== String(numbers[id])) {
              value.textContent = String(numbers[id]);
              card.classList.remove("updated");
              void card.offsetWidth;
              card.classList.add("updated");
            }
          });
        })
        .catch(function () { refreshing = null; });
    }, REFRESH_MS);
  }
  ["event", "group.new", "group.status", "alert", "audit.failure"].forEach(function (kind) {
    source.addEventListener(kind, refreshCards);
  });
  source.onopen = function () { say("(live)"); };
  source.onerror = function () { say("(reconnecting…)"); };
  source.addEventListener("event", function (message) {
    var event = JSON.parse(message.data);
    var item = document.createElement("li");
    item.className = "fresh";
    var badge = document.createElement("span");
    badge.className = "badge sev-" + event.severity;
    badge.textContent = event.severity;
    var link = document.createElement("a");
    link.href = feed.dataset.group + encodeURIComponent(event.group);
    link.textContent = event.message;
    var at = document.createElement("span");
    at.className = "muted";
    at.textContent = event.timestamp.replace("T", " ").replace("Z", "");
    item.append(badge, " ", link, " ", at);
    feed.prepend(item);
    while (feed.children.length > KEPT) {
      feed.lastElementChild.remove();
    }
  });
})();
