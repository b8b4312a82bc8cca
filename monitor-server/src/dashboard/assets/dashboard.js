// The dashboard's only script: the overview's feed of events, kept up to
// date from the live stream. The browser's EventSource reconnects by
// itself and resumes from the last id it got. Text is set with
// textContent, never as HTML, so a message cannot inject markup.
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
