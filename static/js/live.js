// Live updates for the letter page and the embeddable counter. The page is
// complete without this script; it only keeps the counts and names current,
// from the Server-Sent Events stream named in the data-events attribute.
(function () {
  "use strict";

  var root = document.querySelector("[data-events]");
  if (!root || !window.EventSource) {
    return;
  }
  var collator = new Intl.Collator(document.documentElement.lang || undefined, { sensitivity: "base" });

  function setText(selector, text, scope) {
    (scope || document).querySelectorAll(selector).forEach(function (el) {
      if (el.textContent !== text) {
        el.textContent = text;
      }
    });
  }

  function nameItem(n) {
    var li = document.createElement("li");
    var label;
    if (n.website) {
      label = document.createElement("a");
      label.href = n.website;
      label.rel = "nofollow noopener noreferrer";
    } else {
      label = document.createElement("span");
    }
    label.textContent = n.name;
    li.appendChild(label);
    if (n.affiliation) {
      var aff = document.createElement("span");
      aff.className = "affiliation";
      aff.textContent = ", " + n.affiliation;
      li.appendChild(aff);
    }
    if (n.statement) {
      var statement = document.createElement("q");
      statement.className = "statement";
      statement.textContent = n.statement;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(statement);
    }
    li.dataset.name = n.name;
    li.classList.add("new");
    return li;
  }

  function countrySection(c) {
    var groups = root.querySelector("[data-groups]");
    if (!groups) {
      return null;
    }
    var section = groups.querySelector('[data-country="' + c.code + '"]');
    if (section) {
      return section;
    }
    // A country that signed for the first time: the server's own markup for
    // it, from the template it renders in the page's language.
    var template = root.querySelector("template[data-country-template]");
    if (!template) {
      return null;
    }
    section = template.content.firstElementChild.cloneNode(true);
    section.id = "country-" + c.code;
    section.dataset.country = c.code;
    var h3 = section.querySelector("h3");
    h3.id = section.id + "-title";
    section.setAttribute("aria-labelledby", h3.id);
    section.querySelector("[data-heading]").href = location.pathname.replace(/\/$/, "") + "/countries/" + c.code;
    groups.appendChild(section);
    var empty = root.querySelector("[data-empty]");
    if (empty) {
      empty.hidden = true;
    }
    return section;
  }

  function insertName(n) {
    var section = root.querySelector('[data-country="' + n.country + '"]');
    var list = section && section.querySelector('[data-list="' + n.kind + '"]');
    if (!list) {
      return;
    }
    var items = list.querySelectorAll("li");
    var groups = root.querySelector("[data-groups]");
    if (groups && items.length >= +groups.dataset.namesPerKind) {
      return; // no room: the "more" line links to the country's page
    }
    for (var i = 0; i < items.length; i++) {
      var existing = items[i].dataset.name || items[i].textContent;
      if (existing === n.name) {
        return; // already shown, e.g. replayed after a reconnect
      }
    }
    var item = nameItem(n);
    var before = null;
    for (var j = 0; j < items.length; j++) {
      if (collator.compare(n.name, items[j].dataset.name || items[j].textContent) < 0) {
        before = items[j];
        break;
      }
    }
    list.insertBefore(item, before);
    list.hidden = false;
    var heading = list.previousElementSibling;
    if (heading && heading.tagName === "H4") {
      heading.hidden = false;
    }
  }

  function apply(msg) {
    Object.keys(msg.formatted).forEach(function (key) {
      setText('[data-count="' + key + '"]', msg.formatted[key]);
    });
    document.querySelectorAll("progress[data-goal]").forEach(function (bar) {
      bar.value = Math.min(msg.totals.total, +bar.max);
    });
    Object.keys(msg.labels).forEach(function (key) {
      setText('[data-plural="' + key + '"]', msg.labels[key]);
    });
    msg.countries.forEach(function (c) {
      var section = countrySection(c);
      if (section) {
        section.dataset.total = c.total;
        setText('[data-heading="country"]', c.heading, section);
        var more = section.querySelector("[data-more]");
        if (more) {
          var link = more.querySelector("a");
          link.textContent = c.more || "";
          link.href = section.querySelector("[data-heading]").href;
          more.hidden = !c.more;
        }
        var others = section.querySelector("[data-others]");
        if (others) {
          others.textContent = c.others || "";
          others.hidden = !c.others;
        }
      }
    });
    msg.names.forEach(insertName);
    var groups = root.querySelector("[data-groups]");
    if (groups) {
      // Most signatures first, as the server orders them; move nothing that is in place.
      var sections = Array.prototype.slice.call(groups.children);
      var sorted = sections.slice().sort(function (a, b) { return (+b.dataset.total || 0) - (+a.dataset.total || 0); });
      if (sorted.some(function (el, i) { return el !== sections[i]; })) {
        sorted.forEach(function (el) { groups.appendChild(el); });
      }
    }
  }

  // EventSource reconnects by itself after a drop and sends Last-Event-ID,
  // so the server can replay the names missed meanwhile.
  var source = new EventSource(root.dataset.events);
  source.addEventListener("update", function (e) {
    try {
      apply(JSON.parse(e.data));
    } catch (err) {
      // A malformed message must not stop later ones.
    }
  });
})();
