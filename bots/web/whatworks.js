/*
 * whatworks chat widget: one script tag puts the evidence assistant on any page.
 *
 *   <script src="https://HOST/widget/whatworks.js" data-api="https://HOST" data-lang="en" defer></script>
 *
 * Plain modern JavaScript, no build step. Everything renders inside a Shadow DOM so the host
 * page's CSS and ours never meet. Text from the API (answers, titles, quotes, documents) is only
 * ever put in the page through textContent or through the small Markdown subset below, which
 * builds DOM nodes itself: nothing from the network is parsed as HTML, and only http(s) links
 * become hrefs.
 */
(() => {
  "use strict";

  const script =
    document.currentScript ||
    Array.from(document.querySelectorAll("script[src]")).find((s) => /\/whatworks\.js(?:[?#]|$)/.test(s.src));
  if (!script || window.__whatworksWidget) return;
  window.__whatworksWidget = true;

  // ---------------------------------------------------------------- configuration

  const scriptUrl = new URL(script.src, document.baseURI);
  // An empty or missing data-api means "the server this script came from".
  const API_BASE = (script.dataset.api || scriptUrl.origin).replace(/\/+$/, "");
  const CSS_URL = new URL("whatworks.css", scriptUrl).href;
  const STORE_KEY = `whatworks:v1:${API_BASE}`;
  const MAX_STORED_EXCHANGES = 20;
  const MAX_SENT_EXCHANGES = 6; // follow-ups need the recent turns, not the whole session
  const MAX_SENT_ANSWER_CHARS = 4000;
  const MAX_QUESTION_ID_CHARS = 64;
  const MAX_QUESTION_CHARS = 2000;
  const STALL_MS = 60000; // no byte for this long and the answer counts as lost

  const STRINGS = {
    en: {
      launcher: "Ask what works",
      title: "What works",
      subtitle: "Crime-prevention evidence assistant",
      close: "Close the assistant",
      newConversation: "New conversation",
      newConversationDone: "Started a new conversation.",
      conversation: "Conversation",
      welcome:
        "Ask what the evidence says about a crime-prevention program or problem. Every answer quotes its sources and says how strong the evidence is.",
      inputLabel: "Your question",
      placeholder: "e.g. What works to reduce youth violence?",
      send: "Send",
      you: "You",
      assistant: "Assistant",
      searching: "Searching the evidence…",
      writing: "Writing the answer…",
      sources: "Sources",
      source: "Source",
      ratedBy: "Rating source:",
      unrated: "No rating source given",
      passage: "Quoted passage",
      page: "page",
      readSummary: "Read the evidence summary",
      openSource: "Open the source document",
      newTab: "(opens in a new tab)",
      noLink: "no link",
      related: "Related",
      relatedReasons: { alternative: "Better-supported alternatives", "see-also": "Also in the evidence base" },
      inEnglish: "",
      sections: {
        effect: "What the evidence shows",
        describe: "What it is",
        howto: "Setting it up",
        cost: "Cost",
        canada: "In Canada",
        who: "Who it is for",
        compare: "Side by side",
      },
      noEvidenceTitle: "Not covered yet",
      otherLanguageTitle: "English and French only",
      topicsIntro: "The evidence base does cover these topics. Ask about one:",
      helpful: "Was this answer helpful?",
      up: "Helpful",
      down: "Not helpful",
      commentLabel: "What was missing or wrong? (optional)",
      sendFeedback: "Send feedback",
      cancel: "Cancel",
      thanks: "Thank you for your feedback.",
      alreadyVoted: "You already rated this answer.",
      feedbackFailed: "Your feedback could not be sent. Please try again.",
      answerReady: "Answer ready.",
      sourcesCount: (n) => (n === 1 ? "1 source." : `${n} sources.`),
      retry: "Try again",
      errNetwork: "The assistant cannot be reached. Check your connection, then try again.",
      errUnavailable: "The evidence assistant is starting up or busy right now.",
      errRateLimited: "Too many questions in a short time.",
      errDropped: "The connection dropped before the answer was complete.",
      errTimeout: "The assistant took too long to answer.",
      errRefused: "This site is not allowed to use the assistant. Please tell the site's administrator.",
      errInvalid: "This question cannot be sent:",
      errGeneric: "Something went wrong on the server",
      retryAfter: (s) => `Please wait ${s} seconds, then try again.`,
      retrySoon: "Please wait a moment, then try again.",
      partial: "Partial answer received:",
      back: "Back to the conversation",
      loadingDoc: "Loading the document…",
      docFailed: "The document could not be loaded.",
      docSources: "Where this comes from",
      citedSection: "Cited in the answer",
      verdicts: {
        effective: "What works",
        promising: "Promising",
        mixed: "Mixed evidence",
        "no-effect": "No effect",
        harmful: "Harmful",
        "not-rated": "Not yet rated by our curators",
      },
    },
    fr: {
      launcher: "Ce qui fonctionne",
      title: "Ce qui fonctionne",
      subtitle: "Assistant sur les données probantes en prévention du crime",
      close: "Fermer l’assistant",
      newConversation: "Recommencer",
      newConversationDone: "Nouvelle conversation commencée.",
      conversation: "Conversation",
      welcome:
        "Demandez ce que disent les données probantes sur un programme ou un problème de prévention du crime. Chaque réponse cite ses sources et indique la solidité des preuves.",
      inputLabel: "Votre question",
      placeholder: "p. ex. Qu’est-ce qui fonctionne contre la violence chez les jeunes?",
      send: "Envoyer",
      you: "Vous",
      assistant: "Assistant",
      searching: "Recherche dans les données probantes…",
      writing: "Rédaction de la réponse…",
      sources: "Sources",
      source: "Source",
      ratedBy: "Source de l’évaluation :",
      unrated: "Aucune source d’évaluation indiquée",
      passage: "Passage cité",
      page: "page",
      readSummary: "Lire le résumé des données probantes",
      openSource: "Ouvrir le document source",
      newTab: "(s’ouvre dans un nouvel onglet)",
      noLink: "pas de lien",
      related: "À voir aussi",
      relatedReasons: { alternative: "Solutions mieux appuyées", "see-also": "Aussi dans la base de données probantes" },
      inEnglish: "(en anglais)",
      sections: {
        effect: "Ce que montrent les données",
        describe: "En quoi cela consiste",
        howto: "Mise en œuvre",
        cost: "Coûts",
        canada: "Contexte canadien",
        who: "Pour qui",
        compare: "Comparaison",
      },
      noEvidenceTitle: "Pas encore couvert",
      otherLanguageTitle: "Français et anglais seulement",
      topicsIntro: "La base de données probantes couvre ces sujets. Posez une question sur l’un d’eux :",
      helpful: "Cette réponse vous a-t-elle été utile?",
      up: "Utile",
      down: "Pas utile",
      commentLabel: "Qu’est-ce qui manquait ou était erroné? (facultatif)",
      sendFeedback: "Envoyer le commentaire",
      cancel: "Annuler",
      thanks: "Merci de votre commentaire.",
      alreadyVoted: "Vous avez déjà évalué cette réponse.",
      feedbackFailed: "Votre commentaire n’a pas pu être envoyé. Veuillez réessayer.",
      answerReady: "Réponse prête.",
      sourcesCount: (n) => (n === 1 ? "1 source." : `${n} sources.`),
      retry: "Réessayer",
      errNetwork: "Impossible de joindre l’assistant. Vérifiez votre connexion, puis réessayez.",
      errUnavailable: "L’assistant démarre ou est occupé en ce moment.",
      errRateLimited: "Trop de questions en peu de temps.",
      errDropped: "La connexion a été interrompue avant la fin de la réponse.",
      errTimeout: "L’assistant a mis trop de temps à répondre.",
      errRefused: "Ce site n’est pas autorisé à utiliser l’assistant. Veuillez en informer l’administrateur du site.",
      errInvalid: "Cette question ne peut pas être envoyée :",
      errGeneric: "Une erreur s’est produite sur le serveur",
      retryAfter: (s) => `Veuillez attendre ${s} secondes, puis réessayer.`,
      retrySoon: "Veuillez patienter un instant, puis réessayer.",
      partial: "Réponse partielle reçue :",
      back: "Retour à la conversation",
      loadingDoc: "Chargement du document…",
      docFailed: "Le document n’a pas pu être chargé.",
      docSources: "D’où cela vient",
      citedSection: "Cité dans la réponse",
      verdicts: {
        effective: "Efficace",
        promising: "Prometteur",
        mixed: "Résultats mitigés",
        "no-effect": "Aucun effet",
        harmful: "Néfaste",
        "not-rated": "Pas encore évalué par notre équipe",
      },
    },
  };

  const requestedLang = (script.dataset.lang || document.documentElement.lang || "en").slice(0, 2).toLowerCase();
  const LANG = Object.hasOwn(STRINGS, requestedLang) ? requestedLang : "en";
  const T = STRINGS[LANG];
  // The answers are in the evidence base's language, whatever the interface language is.
  const CORPUS_LANG = script.dataset.corpusLang || "en";
  const VERDICTS = Object.keys(STRINGS.en.verdicts);
  // Only programs and practices carry a verdict of their own; a guide, review or data set has none.
  const VERDICT_KINDS = new Set(["program", "practice"]);

  // ---------------------------------------------------------------- DOM helpers

  /** Build an element. Children are nodes or strings; strings become text nodes, never HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else if (key === "href") {
        const safe = safeHttpUrl(value);
        if (safe) el.setAttribute("href", safe);
      } else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return el;
  }

  /** The URL if it is an absolute http(s) URL, else null: `javascript:`, `data:` and friends never become links. */
  function safeHttpUrl(value) {
    if (typeof value !== "string" || !value.trim()) return null;
    try {
      const url = new URL(value.trim());
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  const SVG_NS = "http://www.w3.org/2000/svg";
  const ICONS = {
    chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9.5L4 22v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2zm2 5v2h12V8H6zm0 4v2h8v-2H6z",
    close: "M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z",
    send: "M2.01 21 23 12 2.01 3 2 10l15 2-15 2z",
    plus: "M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z",
    up: "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z",
    down: "M15 3H6c-.83 0-1.54.5-1.84 1.22l-3.02 7.05c-.09.23-.14.47-.14.73v2c0 1.1.9 2 2 2h6.31l-.95 4.57-.03.32c0 .41.17.79.44 1.06L9.83 23l6.59-6.59c.36-.36.58-.86.58-1.41V5c0-1.1-.9-2-2-2zm4 0v12h4V3h-4z",
    external:
      "M14 3h7v7h-2V6.41l-9.29 9.3-1.42-1.42L17.59 5H14V3zM5 5h6v2H5v12h12v-6h2v6a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2z",
    info: "M11 7h2v2h-2V7zm0 4h2v6h-2v-6zm1-9a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm0 18a8 8 0 1 1 0-16 8 8 0 0 1 0 16z",
    warn: "M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z",
    retry:
      "M17.65 6.35A7.96 7.96 0 0 0 12 4a8 8 0 1 0 7.73 10h-2.08A6 6 0 1 1 12 6c1.66 0 3.14.69 4.22 1.78L13 11h7V4l-2.35 2.35z",
    back: "M20 11H7.83l5.59-5.59L12 4l-8 8 8 8 1.41-1.41L7.83 13H20v-2z",
    doc: "M6 2h9l5 5v13a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm8 1.5V8h4.5L14 3.5zM8 12v2h8v-2H8zm0 4v2h8v-2H8z",
  };

  function icon(name) {
    const svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", `ww-icon ww-icon--${name}`);
    const path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.append(path);
    return svg;
  }

  function verdictBadge(verdict) {
    const key = VERDICTS.includes(verdict) ? verdict : "not-rated";
    return h("span", { class: `ww-badge ww-badge--${key}`, "data-verdict": key, lang: LANG }, T.verdicts[key]);
  }

  // ---------------------------------------------------------------- safe Markdown subset

  // Bold, italic, inline code, [text](url) links and [n] citation markers. Each match becomes a
  // node built here; the text between matches becomes text nodes.
  const INLINE =
    /\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__|\*(?=[^\s*])([^*]*?[^\s*])\*|(?<![\w])_(?=[^\s_])([^_]*?[^\s_])_(?![\w])|`([^`\n]+)`|\[([^\]\n]+)\]\(((?:[^()\s]|\([^()\s]*\))+)\)|\[(\d{1,3}(?:\s*[,;]\s*\d{1,3})*)\]/g;

  function renderInline(text, ctx, into) {
    let last = 0;
    INLINE.lastIndex = 0;
    const matches = Array.from(text.matchAll(INLINE));
    for (const m of matches) {
      if (m.index > last) into.append(document.createTextNode(text.slice(last, m.index)));
      last = m.index + m[0].length;
      if (m[1] !== undefined || m[2] !== undefined) {
        into.append(renderInline(m[1] ?? m[2], ctx, h("strong")));
      } else if (m[3] !== undefined || m[4] !== undefined) {
        into.append(renderInline(m[3] ?? m[4], ctx, h("em")));
      } else if (m[5] !== undefined) {
        into.append(h("code", { text: m[5] }));
      } else if (m[6] !== undefined) {
        const href = safeHttpUrl(m[7]);
        if (href) {
          into.append(
            h(
              "a",
              { href, target: "_blank", rel: "noopener noreferrer nofollow" },
              renderInline(m[6], ctx, h("span")),
              h("span", { class: "ww-sr", text: ` ${T.newTab}` }),
            ),
          );
        } else {
          into.append(renderInline(m[6], ctx, h("span")));
        }
      } else if (m[8] !== undefined) {
        const numbers = m[8].split(/\s*[,;]\s*/).map(Number);
        into.append(...citationMarkers(numbers, ctx));
      }
    }
    if (last < text.length) into.append(document.createTextNode(text.slice(last)));
    return into;
  }

  function citationMarkers(numbers, ctx) {
    return numbers.map((n) => {
      const citation = ctx && ctx.citations && ctx.citations.get(n);
      if (!citation) return h("span", { class: "ww-cite ww-cite--pending" }, `[${n}]`);
      const marker = h(
        "a",
        {
          class: "ww-cite",
          "data-n": n,
          "aria-label": `${T.source} ${n}: ${citation.title}`,
          onclick: (event) => {
            event.preventDefault();
            ctx.openSource(n);
          },
        },
        `[${n}]`,
      );
      marker.setAttribute("href", "#"); // an in-widget link: h() only lets absolute http(s) hrefs through
      return marker;
    });
  }

  /** Markdown to a fragment: paragraphs, headings, lists, quotes; never HTML. */
  function renderMarkdown(markdown, ctx) {
    const fragment = document.createDocumentFragment();
    const lines = String(markdown || "")
      .replace(/\r\n?/g, "\n")
      .split("\n");
    let paragraph = [];
    let list = null;
    let item = null;

    const flushParagraph = () => {
      if (paragraph.length) fragment.append(renderInline(paragraph.join(" "), ctx, h("p")));
      paragraph = [];
    };
    const closeList = () => {
      list = null;
      item = null;
    };

    for (const raw of lines) {
      const line = raw.replace(/\s+$/, "");
      let m;
      if (!line.trim()) {
        flushParagraph();
        item = null;
        continue;
      }
      if ((m = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*$/.exec(line))) {
        flushParagraph();
        closeList();
        const tag = m[1].length <= 2 ? "h3" : "h4";
        fragment.append(renderInline(m[2], ctx, h(tag, { class: "ww-md-h" })));
        continue;
      }
      if (/^\s{0,3}([-*_])(\s*\1){2,}\s*$/.test(line)) {
        flushParagraph();
        closeList();
        fragment.append(h("hr"));
        continue;
      }
      if ((m = /^\s*([-*+•]|(\d{1,3})[.)])\s+(.*)$/.exec(line))) {
        flushParagraph();
        const ordered = m[2] !== undefined;
        if (!list || list.ordered !== ordered) {
          const el = h(ordered ? "ol" : "ul");
          if (ordered && m[2] !== "1") el.setAttribute("start", m[2]);
          fragment.append(el);
          list = { el, ordered };
        }
        item = renderInline(m[3], ctx, h("li"));
        list.el.append(item);
        continue;
      }
      if ((m = /^\s{0,3}>\s?(.*)$/.exec(line))) {
        flushParagraph();
        closeList();
        fragment.append(h("blockquote", null, renderInline(m[1], ctx, h("p"))));
        continue;
      }
      if (item && /^\s+/.test(raw)) {
        item.append(document.createTextNode(" "));
        renderInline(line.trim(), ctx, item);
        continue;
      }
      closeList();
      paragraph.push(line.trim());
    }
    flushParagraph();
    return fragment;
  }

  // ---------------------------------------------------------------- the structured answer

  const asList = (value) => (Array.isArray(value) ? value : []);
  const asText = (value) => (typeof value === "string" ? value : "");

  /** `“quote” [n]`: verbatim corpus text (which may carry **bold**) in quotation marks, then its marker. */
  function quoted(quote, n, ctx, into, quoteLang = CORPUS_LANG) {
    into.append("\u201c");
    renderInline(asText(quote).trim(), null, into);
    into.append("\u201d");
    if (Number.isInteger(n)) into.append("\u00a0", ...citationMarkers([n], ctx)); // the marker never wraps alone
    // a quote in another language than the interface's says so ("(en anglais)")
    if (quoteLang !== LANG && T.inEnglish && quoteLang === "en") {
      into.append(" ", h("span", { class: "ww-in-english", lang: LANG, text: T.inEnglish }));
    }
    return into;
  }

  /**
   * One line per intervention: its title, its verdict (programs and practices only), who rated it
   * and on what evidence, then its key finding, quoted and cited.
   */
  function renderBottomLine(line, ctx) {
    const showsVerdict = VERDICT_KINDS.has(line.kind);
    const verdict = VERDICTS.includes(line.verdict) ? line.verdict : "not-rated";
    const meta = [asText(line.rating_source), asText(line.strength)].filter(Boolean).join(" · ");
    return h(
      "li",
      {
        class: "ww-bottomline",
        "data-document-id": asText(line.document_id),
        "data-kind": asText(line.kind),
        "data-verdict": showsVerdict ? verdict : null,
      },
      h(
        "p",
        { class: "ww-bl-head" },
        h("span", { class: "ww-bl-title", text: asText(line.title) }),
        showsVerdict ? verdictBadge(verdict) : null,
      ),
      meta ? h("p", { class: "ww-bl-meta" }, h("small", { text: meta })) : null,
      h(
        "blockquote",
        { class: "ww-bl-finding", lang: line.language === "fr" ? "fr" : CORPUS_LANG },
        quoted(line.finding, line.n, ctx, h("p"), line.language === "fr" ? "fr" : CORPUS_LANG),
      ),
    );
  }

  /** Supporting quotes under a heading in the widget's language, chosen by the section's intent. */
  function renderSection(section, ctx) {
    const heading = T.sections[section.intent] || asText(section.label);
    return h(
      "section",
      { class: "ww-section", "data-intent": asText(section.intent) || null },
      heading ? h("h3", { class: "ww-md-h ww-section-h", lang: LANG, text: heading }) : null,
      h(
        "ul",
        null,
        asList(section.items).map((item) =>
          h(
            "li",
            { class: "ww-section-item", "data-document-id": asText(item.document_id) },
            h("span", { class: "ww-item-title", text: `${asText(item.title)}: ` }),
            quoted(
              item.text,
              item.n,
              ctx,
              h("span", { class: "ww-item-text", lang: item.language === "fr" ? "fr" : CORPUS_LANG }),
              item.language === "fr" ? "fr" : CORPUS_LANG,
            ),
          ),
        ),
      ),
    );
  }

  /** What a follow-up sends back as this answer's turn: its bottom lines in plain words, not Markdown. */
  function answerDigest(response) {
    if (response.no_evidence) return asText(response.answer);
    const said = (title, quote) => `${asText(title)}: \u201c${asText(quote).replace(/\*\*|__/g, "")}\u201d`;
    const lines = asList(response.summary).map((line) => said(line.title, line.finding));
    if (!lines.length) {
      for (const section of asList(response.sections)) {
        lines.push(...asList(section.items).map((item) => said(item.title, item.text)));
      }
    }
    if (!lines.length && response.prose) lines.push(asText(response.prose));
    if (!lines.length) lines.push(...asList(response.citations).map((c) => asText(c.title)));
    return lines.join("\n");
  }

  /** The answer read out once complete: each bottom line with its verdict in words, else the digest. */
  function announcement(response) {
    const lines = asList(response.summary).map((line) => {
      const verdict = T.verdicts[line.verdict] || T.verdicts["not-rated"];
      const rated = VERDICT_KINDS.has(line.kind) ? ` (${verdict})` : "";
      return `${asText(line.title)}${rated}: ${asText(line.finding)}`;
    });
    return (lines.length ? lines.join(". ") : answerDigest(response)).replace(/\*\*|__/g, "").replace(/\s+/g, " ");
  }

  // ---------------------------------------------------------------- talking to the API

  class ApiError extends Error {
    constructor(kind, { status = 0, detail = "", retryAfter = null } = {}) {
      super(detail || kind);
      this.kind = kind;
      this.status = status;
      this.detail = detail;
      this.retryAfter = retryAfter;
    }
  }

  function errorFromStatus(status, detail, retryAfter) {
    if (status === 503) return new ApiError("unavailable", { status, detail, retryAfter });
    if (status === 429) return new ApiError("rate-limited", { status, detail, retryAfter });
    if (status === 401 || status === 403) return new ApiError("refused", { status, detail });
    if (status === 400 || status === 413 || status === 422) return new ApiError("invalid", { status, detail });
    return new ApiError("server", { status, detail });
  }

  async function readDetail(response) {
    try {
      const body = await response.json();
      if (typeof body.detail === "string") return body.detail;
      if (Array.isArray(body.detail))
        return body.detail
          .map((d) => d && d.msg)
          .filter(Boolean)
          .join("; ");
    } catch {
      // not JSON: the status alone has to do
    }
    return "";
  }

  function retryAfterSeconds(response) {
    const value = response.headers.get("Retry-After");
    if (!value) return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, Math.round(seconds));
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, Math.round((date - Date.now()) / 1000));
  }

  /** POST /v1/ask/stream and call handlers for each server-sent event; resolves with the AskResponse. */
  async function streamAnswer(body, handlers, signal, session) {
    let response;
    const headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
    // the server counts this tab's questions against its session too (per-session abuse limits)
    if (session) headers["X-Whatworks-Session"] = session;
    try {
      response = await fetch(`${API_BASE}/v1/ask/stream`, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal,
        credentials: "omit",
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason instanceof ApiError ? signal.reason : new ApiError("aborted");
      throw new ApiError("network", { detail: String(error && error.message) });
    }
    if (!response.ok) {
      throw errorFromStatus(response.status, await readDetail(response), retryAfterSeconds(response));
    }
    if (!response.body) throw new ApiError("dropped");

    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    let final = null;

    const dispatch = (block) => {
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (!line || line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      }
      if (!data.length) return;
      let payload;
      try {
        payload = JSON.parse(data.join("\n"));
      } catch {
        return; // a malformed event is skipped, not fatal
      }
      if (event === "status") handlers.status(payload);
      else if (event === "delta") handlers.delta(typeof payload.text === "string" ? payload.text : "");
      else if (event === "reset") handlers.reset();
      else if (event === "citations") handlers.citations(Array.isArray(payload.citations) ? payload.citations : []);
      else if (event === "done") final = payload;
      else if (event === "error") {
        throw errorFromStatus(
          Number(payload.status) || 500,
          typeof payload.detail === "string" ? payload.detail : "",
          null,
        );
      }
    };

    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        handlers.bytes();
        buffer += decoder.decode(value, { stream: true });
        // Normalise line ends, holding back a trailing CR that may be half of a CRLF.
        const hold = buffer.endsWith("\r") ? "\r" : "";
        buffer = buffer.slice(0, buffer.length - hold.length).replace(/\r\n?/g, "\n") + hold;
        let end;
        while ((end = buffer.indexOf("\n\n")) !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          dispatch(block);
          if (final) break;
        }
        if (final) break;
      }
      if (!final && buffer.trim()) dispatch(buffer.replace(/\r\n?/g, "\n"));
    } catch (error) {
      if (error instanceof ApiError) throw error;
      if (signal.aborted) throw signal.reason instanceof ApiError ? signal.reason : new ApiError("aborted");
      throw new ApiError("dropped", { detail: String(error && error.message) });
    } finally {
      reader.cancel().catch(() => {});
    }
    if (!final || typeof final.answer !== "string") throw new ApiError("dropped");
    return final;
  }

  async function postFeedback(payload) {
    const response = await fetch(`${API_BASE}/v1/feedback`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload),
      credentials: "omit",
    });
    if (response.status === 409) return "already";
    if (!response.ok) {
      const detail = await readDetail(response);
      if (response.status === 403 && String(detail).startsWith("session:")) return "expired";
      throw errorFromStatus(response.status, detail, null);
    }
    return "ok";
  }

  /** A voter session from the server: what makes this tab's votes count once each. */
  async function newVoterSession() {
    const response = await fetch(`${API_BASE}/v1/sessions`, { method: "POST", credentials: "omit" });
    if (!response.ok) throw errorFromStatus(response.status, await readDetail(response), null);
    const data = await response.json();
    if (!data || typeof data.session !== "string") throw new ApiError("dropped");
    return data.session;
  }

  async function fetchDocument(id) {
    let response;
    try {
      response = await fetch(`${API_BASE}/v1/documents/${encodeURIComponent(id)}`, { credentials: "omit" });
    } catch (error) {
      throw new ApiError("network", { detail: String(error && error.message) });
    }
    if (!response.ok) throw errorFromStatus(response.status, await readDetail(response), null);
    return response.json();
  }

  /**
   * Scroll `container` so `el` shows. Element.scrollIntoView would also scroll the panel and the
   * host page, pushing the panel's header out of sight.
   */
  function revealWithin(container, el, block = "nearest", inset = 8) {
    const box = container.getBoundingClientRect();
    const rect = el.getBoundingClientRect();
    const above = rect.top - box.top - inset;
    const below = rect.bottom - box.bottom + 8;
    if (block === "start" || above < 0) container.scrollTop += above;
    else if (below > 0) container.scrollTop += Math.min(below, above);
  }

  /** The next animation frame, or a plain task in a background tab, where frames stop. */
  function nextFrame(callback) {
    if (document.hidden) setTimeout(callback, 0);
    else requestAnimationFrame(callback);
  }

  // ---------------------------------------------------------------- the page session

  /** The conversation of this tab, kept in sessionStorage so a reload or a new page keeps it. */
  class Session {
    constructor() {
      this.exchanges = [];
      this.votes = {};
      this.voter = null;
      this.open = false;
      try {
        const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "null");
        if (saved && Array.isArray(saved.exchanges)) {
          this.exchanges = saved.exchanges.filter(
            (x) => x && typeof x.question === "string" && x.response && typeof x.response.answer === "string",
          );
          this.votes = saved.votes && typeof saved.votes === "object" ? saved.votes : {};
          // the voter session the server issued (POST /v1/sessions): votes count once per session
          this.voter = typeof saved.voter === "string" && saved.voter.includes(".") ? saved.voter : null;
          this.open = saved.open === true;
        }
      } catch {
        // storage blocked or corrupt: start afresh
      }
    }

    save() {
      for (;;) {
        try {
          const state = { exchanges: this.exchanges, votes: this.votes, voter: this.voter, open: this.open };
          sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
          return;
        } catch {
          if (!this.exchanges.length) return; // storage unavailable: the session lives in memory only
          this.exchanges.shift();
        }
      }
    }

    add(question, response) {
      this.exchanges.push({ question, response });
      this.exchanges = this.exchanges.slice(-MAX_STORED_EXCHANGES);
      this.save();
    }

    clear() {
      this.exchanges = [];
      this.votes = {};
      this.save();
    }

    /** Prior turns as the API's `conversation`; each answer's question_id lets a follow-up continue its topic. */
    conversation() {
      return this.exchanges.slice(-MAX_SENT_EXCHANGES).flatMap((x) => {
        const answer = { role: "assistant", content: answerDigest(x.response).slice(0, MAX_SENT_ANSWER_CHARS) };
        const id = x.response.question_id;
        if (typeof id === "string" && id && id.length <= MAX_QUESTION_ID_CHARS) answer.question_id = id;
        return [{ role: "user", content: x.question }, answer];
      });
    }
  }

  // ---------------------------------------------------------------- the widget

  class Widget {
    constructor() {
      this.session = new Session();
      this.busy = null; // the turn being answered
      this.documents = new Map();
      this.build();
      this.restore();
    }

    build() {
      this.host = document.createElement("whatworks-chat");
      this.shadow = this.host.attachShadow({ mode: "open" });
      this.shadow.append(h("link", { rel: "stylesheet", href: CSS_URL }));

      this.launcher = h(
        "button",
        {
          type: "button",
          class: "ww-launcher",
          "aria-expanded": "false",
          "aria-controls": "ww-panel",
          onclick: () => (this.panel.hidden ? this.open() : this.close()),
        },
        icon("chat"),
        h("span", { class: "ww-launcher-text", text: T.launcher }),
      );

      this.input = h("textarea", {
        id: "ww-input",
        class: "ww-input",
        rows: "2",
        maxlength: String(MAX_QUESTION_CHARS),
        placeholder: T.placeholder,
        autocomplete: "off",
        onkeydown: (event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            this.submit();
          }
        },
      });
      this.sendButton = h("button", { type: "submit", class: "ww-send" }, icon("send"), h("span", { text: T.send }));
      this.form = h(
        "form",
        {
          class: "ww-form",
          onsubmit: (event) => {
            event.preventDefault();
            this.submit();
          },
        },
        h("label", { for: "ww-input", class: "ww-sr", text: T.inputLabel }),
        this.input,
        this.sendButton,
      );

      this.log = h(
        "div",
        { class: "ww-log", role: "region", "aria-label": T.conversation, tabindex: "0" },
        h("p", { class: "ww-welcome", text: T.welcome }),
      );
      this.docView = h("section", { class: "ww-doc", hidden: true, "aria-labelledby": "ww-doc-title" });
      this.live = h("div", { class: "ww-sr", "aria-live": "polite", "aria-atomic": "true" });

      this.newButton = h(
        "button",
        { type: "button", class: "ww-tool", onclick: () => this.reset() },
        icon("plus"),
        h("span", { text: T.newConversation }),
      );
      this.panel = h(
        "section",
        { id: "ww-panel", class: "ww-panel", role: "dialog", "aria-labelledby": "ww-title", hidden: true },
        h(
          "header",
          { class: "ww-header" },
          h("h2", { id: "ww-title", text: T.title }),
          this.newButton,
          h(
            "button",
            {
              type: "button",
              class: "ww-tool ww-close",
              "aria-label": T.close,
              title: T.close,
              onclick: () => this.close(),
            },
            icon("close"),
          ),
          h("p", { class: "ww-subtitle", text: T.subtitle }),
        ),
        this.log,
        this.docView,
        this.form,
        this.live,
      );
      this.panel.addEventListener("keydown", (event) => {
        if (event.key !== "Escape") return;
        event.preventDefault();
        if (!this.docView.hidden) this.closeDocument();
        else this.close();
      });

      // Shown once the stylesheet is in, so the page never flashes an unstyled button.
      this.root = h("div", { class: "ww-root", lang: LANG, hidden: true }, this.launcher, this.panel);
      const link = this.shadow.querySelector("link");
      const reveal = () => (this.root.hidden = false);
      link.addEventListener("load", reveal);
      link.addEventListener("error", reveal);
      this.shadow.append(this.root);
      document.body.append(this.host);
    }

    restore() {
      for (const exchange of this.session.exchanges) {
        const turn = this.addTurn(exchange.question);
        this.showAnswer(turn, exchange.response);
      }
      if (this.session.open) this.open({ focus: false });
    }

    open({ focus = true } = {}) {
      this.panel.hidden = false;
      this.launcher.setAttribute("aria-expanded", "true");
      this.root.classList.add("ww-is-open");
      this.session.open = true;
      this.session.save();
      this.scrollToEnd();
      if (focus) this.input.focus();
      this.ensureVoterSession();
    }

    /** A signed session for this tab, fetched in the background when the panel opens: questions carry it
     * (the server limits each session as well as each address) and votes count once per session. A
     * question asked before it arrives, or when the server gives none, goes without it. */
    async ensureVoterSession() {
      if (this.session.voter || this.fetchingVoter) return;
      this.fetchingVoter = true;
      try {
        this.session.voter = await newVoterSession();
        this.session.save();
      } catch (error) {
        // busy or an older server: votes ask for a session again when they need one
      } finally {
        this.fetchingVoter = false;
      }
    }

    close() {
      this.closeDocument({ focus: false });
      this.panel.hidden = true;
      this.launcher.setAttribute("aria-expanded", "false");
      this.root.classList.remove("ww-is-open");
      this.session.open = false;
      this.session.save();
      this.launcher.focus();
    }

    reset() {
      if (this.busy) this.busy.controller.abort(new ApiError("aborted"));
      this.busy = null;
      this.session.clear();
      this.closeDocument({ focus: false });
      this.log.replaceChildren(h("p", { class: "ww-welcome", text: T.welcome }));
      this.setBusy(false);
      this.announce(T.newConversationDone);
      this.input.focus();
    }

    announce(text) {
      // Cleared first so that the same words said twice are announced twice.
      this.live.textContent = "";
      setTimeout(() => (this.live.textContent = text), 50);
    }

    setBusy(busy) {
      this.sendButton.disabled = busy;
      this.log.setAttribute("aria-busy", busy ? "true" : "false");
    }

    scrollToEnd() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    submit(text) {
      const question = (text ?? this.input.value).trim();
      if (!question || this.busy) return;
      if (text === undefined) this.input.value = "";
      // Only the newest failed question offers a retry: retrying an old one would answer out of order.
      for (const button of this.log.querySelectorAll(".ww-retry")) button.remove();
      const turn = this.addTurn(question);
      this.ask(turn, this.session.conversation());
    }

    addTurn(question) {
      const turn = { question, citations: new Map(), text: "" };
      turn.status = h(
        "p",
        { class: "ww-status", role: "status" },
        h("span", { class: "ww-spinner", "aria-hidden": "true" }),
        h("span", { text: T.searching }),
      );
      turn.answer = h("div", { class: "ww-answer", lang: CORPUS_LANG });
      turn.extras = h("div", { class: "ww-extras" });
      turn.el = h(
        "div",
        { class: "ww-turn" },
        h(
          "div",
          { class: "ww-msg ww-msg--user" },
          h("span", { class: "ww-sr", text: `${T.you}: ` }),
          h("p", { class: "ww-question", text: question }),
        ),
        (turn.reply = h(
          "div",
          { class: "ww-msg ww-msg--bot", "data-state": "searching", "aria-busy": "true" },
          h("span", { class: "ww-sr", text: `${T.assistant}: ` }),
          turn.status,
          turn.answer,
          turn.extras,
        )),
      );
      const welcome = this.log.querySelector(".ww-welcome");
      if (welcome) welcome.remove();
      this.log.append(turn.el);
      this.scrollToEnd();
      return turn;
    }

    setState(turn, state) {
      turn.reply.dataset.state = state;
      turn.reply.setAttribute("aria-busy", state === "searching" || state === "streaming" ? "true" : "false");
    }

    async ask(turn, conversation) {
      turn.controller = new AbortController();
      turn.text = "";
      turn.pending = "";
      turn.citations = new Map();
      turn.answer.replaceChildren();
      turn.extras.replaceChildren();
      turn.status.hidden = false;
      turn.status.lastChild.textContent = T.searching;
      this.setState(turn, "searching");
      this.busy = turn;
      this.setBusy(true);

      let stall = null;
      const armStall = () => {
        clearTimeout(stall);
        stall = setTimeout(() => turn.controller.abort(new ApiError("timeout")), STALL_MS);
      };
      armStall();
      // the interface language is a hint: the question's own words decide which language answers
      const body = { question: turn.question, language: LANG };
      if (conversation.length) body.conversation = conversation;

      try {
        const response = await streamAnswer(
          body,
          {
            bytes: armStall,
            status: (payload) => {
              if (payload.stage === "searching") turn.status.lastChild.textContent = T.searching;
            },
            delta: (piece) => {
              if (turn.reply.dataset.state === "searching") {
                turn.status.lastChild.textContent = T.writing;
                this.setState(turn, "streaming");
              }
              turn.pending += piece;
              this.pump(turn);
            },
            // The API withdrew what it streamed (an LLM answer fell back to quotes): start the text again.
            reset: () => {
              turn.text = "";
              turn.pending = "";
              this.renderAnswerText(turn);
            },
            citations: (citations) => {
              turn.citations = new Map(citations.map((c) => [c.n, c]));
              this.renderAnswerText(turn);
            },
          },
          turn.controller.signal,
          this.session.voter,
        );
        await this.drained(turn);
        if (this.busy !== turn) return; // the conversation was reset meanwhile
        this.session.add(turn.question, response);
        this.showAnswer(turn, response);
        const citations = Array.isArray(response.citations) ? response.citations.length : 0;
        this.announce(
          `${T.answerReady} ${announcement(response).slice(0, 1200)} ${citations ? T.sourcesCount(citations) : ""}`.trim(),
        );
      } catch (error) {
        this.flush(turn);
        if (this.busy !== turn) return;
        const failure = error instanceof ApiError ? error : new ApiError("dropped", { detail: String(error) });
        if (failure.kind !== "aborted") this.showError(turn, failure, conversation);
      } finally {
        clearTimeout(stall);
        if (this.busy === turn) {
          this.busy = null;
          this.setBusy(false);
        }
      }
    }

    /** While streaming: the text so far, as progress. The `done` event replaces it with the structured answer. */
    renderAnswerText(turn) {
      turn.answer.replaceChildren(renderMarkdown(turn.text, this.citationContext(turn)));
      this.follow(turn);
    }

    /**
     * Move arrived text onto the screen a few words per frame. A model streams slowly anyway; an
     * extractive answer arrives in one burst, and is still shown being written, in well under a second.
     */
    pump(turn) {
      if (turn.pumping) return;
      turn.pumping = true;
      const step = () => {
        if (!turn.pending) {
          turn.pumping = false;
          for (const resolve of turn.waiters || []) resolve();
          turn.waiters = [];
          return;
        }
        let cut = Math.min(turn.pending.length, Math.max(24, Math.ceil(turn.pending.length / 10)));
        const space = turn.pending.indexOf(" ", cut);
        if (space !== -1 && space - cut < 16) cut = space + 1;
        turn.text += turn.pending.slice(0, cut);
        turn.pending = turn.pending.slice(cut);
        this.renderAnswerText(turn);
        nextFrame(step);
      };
      nextFrame(step);
    }

    drained(turn) {
      if (!turn.pending && !turn.pumping) return Promise.resolve();
      return new Promise((resolve) => (turn.waiters = [...(turn.waiters || []), resolve]));
    }

    flush(turn) {
      if (!turn.pending) return;
      turn.text += turn.pending;
      turn.pending = "";
      this.renderAnswerText(turn);
    }

    /** Keep the newest text in view, but never scroll the start of the answer out of sight. */
    follow(turn) {
      const end = this.log.scrollHeight - this.log.clientHeight;
      this.log.scrollTop = Math.max(0, Math.min(end, turn.el.offsetTop - 8));
    }

    citationContext(turn) {
      return { citations: turn.citations, openSource: (n) => this.openSource(turn, n) };
    }

    showAnswer(turn, response) {
      turn.response = response;
      turn.citations = new Map((response.citations || []).map((c) => [c.n, c]));
      turn.status.hidden = true;
      turn.reply.dataset.questionId = response.question_id || "";
      this.setState(turn, "done");
      turn.reply.classList.toggle("ww-msg--no-evidence", Boolean(response.no_evidence));
      const ctx = this.citationContext(turn);
      if (response.no_evidence) {
        turn.answer.replaceChildren(
          h(
            "p",
            { class: "ww-note-title" },
            icon("info"),
            // a question in another language was not searched: no "not covered" for a topic we may cover
            h("span", { text: response.unsupported_language ? T.otherLanguageTitle : T.noEvidenceTitle, lang: LANG }),
          ),
          renderMarkdown(asText(response.answer), ctx),
        );
      } else {
        turn.answer.replaceChildren(...this.renderAnswer(response, ctx));
      }
      turn.extras.replaceChildren();
      if (response.no_evidence && Array.isArray(response.nearest_topics) && response.nearest_topics.length) {
        turn.extras.append(this.renderTopics(response.nearest_topics));
      }
      // An extractive answer already quotes every passage, so its sources start folded.
      if (turn.citations.size) turn.extras.append(this.renderSources(turn, response.answer_mode !== "extractive"));
      if (response.question_id) turn.extras.append(this.renderFeedback(response.question_id));
      this.follow(turn);
    }

    /** Bottom lines, the written prose (LLM answers), sections of supporting quotes, related programs. */
    renderAnswer(response, ctx) {
      const parts = [];
      const summary = asList(response.summary);
      const sections = asList(response.sections);
      if (summary.length) parts.push(h("ul", { class: "ww-summary" }, summary.map((l) => renderBottomLine(l, ctx))));
      if (response.prose) parts.push(h("div", { class: "ww-prose" }, renderMarkdown(asText(response.prose), ctx)));
      parts.push(...sections.map((section) => renderSection(section, ctx)));
      if (!parts.length) {
        // An answer with nothing but citations (an older API, or one stored before it changed): its quotes.
        const items = asList(response.citations).map((c) => ({ ...c, text: c.quote }));
        if (items.length) parts.push(renderSection({ intent: "", label: "", items }, ctx));
      }
      parts.push(...this.renderRelated(asList(response.related), ctx));
      return parts;
    }

    /**
     * Documents worth knowing beside the answer (better-supported alternatives, see-also), under the
     * heading of why they are offered; each opens its document, and programs show their verdict.
     */
    renderRelated(related, ctx) {
      const reasons = [...new Set(related.map((r) => asText(r.reason)))];
      return reasons.map((reason) =>
        h(
          "section",
          { class: "ww-related", "data-reason": reason },
          h("h3", { class: "ww-md-h ww-related-h", lang: LANG, text: T.relatedReasons[reason] || T.related }),
          h(
            "ul",
            null,
            related
              .filter((r) => asText(r.reason) === reason)
              .map((program) =>
                h(
                  "li",
                  { class: "ww-related-item", "data-document-id": asText(program.document_id) },
                  h(
                    "button",
                    {
                      type: "button",
                      class: "ww-linkbtn ww-related-open",
                      onclick: (event) =>
                        this.openDocument(
                          { document_id: program.document_id, title: asText(program.title), section: "" },
                          event.currentTarget,
                        ),
                    },
                    icon("doc"),
                    h("span", { text: asText(program.title) }),
                  ),
                  VERDICT_KINDS.has(program.kind) ? verdictBadge(program.verdict) : null,
                  program.rating_source
                    ? h("small", { class: "ww-rating", text: asText(program.rating_source) })
                    : null,
                  Number.isInteger(program.n) ? citationMarkers([program.n], ctx) : null,
                ),
              ),
          ),
        ),
      );
    }

    renderTopics(topics) {
      return h(
        "div",
        { class: "ww-topics" },
        h("p", { text: T.topicsIntro }),
        h(
          "ul",
          null,
          topics
            .filter((t) => t && typeof t.question === "string")
            .map((topic) =>
              h(
                "li",
                null,
                h(
                  "button",
                  { type: "button", class: "ww-topic", lang: CORPUS_LANG, onclick: () => this.submit(topic.question) },
                  topic.question,
                ),
              ),
            ),
        ),
      );
    }

    renderSources(turn, open) {
      turn.sourceItems = new Map();
      const list = h("ol", { class: "ww-sources-list" });
      for (const citation of turn.citations.values()) {
        const item = this.renderSource(turn, citation);
        turn.sourceItems.set(citation.n, item);
        list.append(item);
      }
      turn.sources = h(
        "details",
        { class: "ww-sources", open },
        h("summary", null, h("span", { text: `${T.sources} (${turn.citations.size})` })),
        list,
      );
      return turn.sources;
    }

    renderSource(turn, citation) {
      const href = safeHttpUrl(citation.url);
      const where = [citation.section, citation.page ? `${T.page} ${citation.page}` : ""].filter(Boolean).join(" · ");
      const opener = h(
        "button",
        { type: "button", class: "ww-linkbtn", onclick: (event) => this.openDocument(citation, event.currentTarget) },
        icon("doc"),
        h("span", { text: T.readSummary }),
      );
      const quoteLang = citation.language === "fr" ? "fr" : CORPUS_LANG;
      return h(
        "li",
        { class: "ww-source", tabindex: "-1", "data-n": citation.n, "data-document-id": citation.document_id },
        h(
          "div",
          { class: "ww-source-head" },
          h("span", { class: "ww-source-n", "aria-hidden": "true", text: String(citation.n) }),
          h("span", { class: "ww-sr", text: `${T.source} ${citation.n}: ` }),
          h("span", { class: "ww-source-title", lang: CORPUS_LANG, text: citation.title }),
        ),
        h(
          "p",
          { class: "ww-source-meta" },
          VERDICT_KINDS.has(citation.kind) ? verdictBadge(citation.verdict) : null,
          citation.rating_source
            ? h(
                "span",
                { class: "ww-rating" },
                h("span", { class: "ww-rating-label", text: `${T.ratedBy} ` }),
                h("span", { lang: CORPUS_LANG, text: citation.rating_source }),
              )
            : VERDICT_KINDS.has(citation.kind)
              ? h("span", { class: "ww-rating", text: T.unrated })
              : null,
        ),
        h(
          "blockquote",
          { class: "ww-quote", lang: quoteLang },
          h("span", { class: "ww-sr", text: `${T.passage}: ` }),
          // Passages are verbatim corpus Markdown, which may carry **bold**.
          renderInline(citation.quote || "", null, h("p")),
          quoteLang !== LANG && T.inEnglish ? h("p", { class: "ww-in-english", lang: LANG, text: T.inEnglish }) : null,
          where ? h("footer", { text: where }) : null,
        ),
        h(
          "p",
          { class: "ww-source-links" },
          opener,
          href
            ? h(
                "a",
                { class: "ww-external", href, target: "_blank", rel: "noopener noreferrer nofollow" },
                icon("external"),
                h("span", { text: T.openSource }),
                h("span", { class: "ww-sr", text: ` ${T.newTab}` }),
              )
            : h("span", { class: "ww-nolink", text: T.noLink }),
        ),
      );
    }

    openSource(turn, n) {
      const item = turn.sourceItems && turn.sourceItems.get(n);
      if (!item) return;
      turn.sources.open = true;
      revealWithin(this.log, item);
      item.focus({ preventScroll: true });
      item.classList.add("ww-source--flash");
      setTimeout(() => item.classList.remove("ww-source--flash"), 2000);
    }

    renderFeedback(questionId) {
      const vote = this.session.votes[questionId];
      const status = h("p", { class: "ww-fb-status", role: "status", tabindex: "-1" });
      const up = h(
        "button",
        { type: "button", class: "ww-vote", "aria-label": T.up, title: T.up, "aria-pressed": String(vote === "up") },
        icon("up"),
      );
      const down = h(
        "button",
        {
          type: "button",
          class: "ww-vote",
          "aria-label": T.down,
          title: T.down,
          "aria-pressed": String(vote === "down"),
        },
        icon("down"),
      );
      const comment = h("textarea", { class: "ww-comment", id: `ww-c-${questionId}`, rows: "2", maxlength: "2000" });
      const form = h(
        "form",
        { class: "ww-fb-form", hidden: true },
        h("label", { for: `ww-c-${questionId}`, text: T.commentLabel }),
        comment,
        h(
          "div",
          { class: "ww-fb-actions" },
          h("button", { type: "submit", class: "ww-button", text: T.sendFeedback }),
          h("button", {
            type: "button",
            class: "ww-button ww-button--quiet",
            text: T.cancel,
            onclick: () => ((form.hidden = true), down.focus()),
          }),
        ),
      );
      const lock = (rating) => {
        up.disabled = down.disabled = true;
        up.setAttribute("aria-pressed", String(rating === "up"));
        down.setAttribute("aria-pressed", String(rating === "down"));
      };
      if (vote) lock(vote);

      const send = async (rating, text) => {
        up.disabled = down.disabled = true;
        status.textContent = "";
        try {
          let result = "expired";
          for (let attempt = 0; attempt < 2 && result === "expired"; attempt += 1) {
            // a session from an earlier server (restarted, or another replica's secret) is replaced once
            if (!this.session.voter || attempt > 0) {
              this.session.voter = await newVoterSession();
              this.session.save();
            }
            const payload = { question_id: questionId, rating, session: this.session.voter };
            if (text) payload.comment = text;
            result = await postFeedback(payload);
          }
          if (result === "expired") throw new ApiError("session");
          // Sent from the comment form, which now closes: the focus stays here, on the outcome.
          const fromForm = form.contains(this.shadow.activeElement);
          form.hidden = true;
          lock(rating);
          this.session.votes[questionId] = rating;
          this.session.save();
          status.textContent = result === "already" ? T.alreadyVoted : T.thanks;
          status.className = "ww-fb-status";
          if (fromForm) status.focus();
        } catch {
          up.disabled = down.disabled = false;
          status.textContent = T.feedbackFailed;
          status.className = "ww-fb-status ww-fb-status--error";
        }
      };
      up.addEventListener("click", () => send("up", ""));
      down.addEventListener("click", () => {
        form.hidden = false;
        comment.focus();
      });
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        send("down", comment.value.trim());
      });
      return h(
        "div",
        { class: "ww-feedback", role: "group", "aria-label": T.helpful },
        h("div", { class: "ww-fb-row" }, h("span", { class: "ww-fb-q", text: T.helpful }), up, down),
        form,
        status,
      );
    }

    showError(turn, error, conversation) {
      this.setState(turn, "error");
      turn.status.hidden = true;
      const lines = [];
      if (error.kind === "network") lines.push(T.errNetwork);
      else if (error.kind === "unavailable" || error.kind === "rate-limited") {
        lines.push(error.kind === "unavailable" ? T.errUnavailable : T.errRateLimited);
        lines.push(error.retryAfter ? T.retryAfter(error.retryAfter) : T.retrySoon);
      } else if (error.kind === "dropped") lines.push(T.errDropped);
      else if (error.kind === "timeout") lines.push(T.errTimeout);
      else if (error.kind === "refused") lines.push(T.errRefused);
      else if (error.kind === "invalid") lines.push(`${T.errInvalid} ${error.detail || error.status}`);
      else lines.push(`${T.errGeneric} (${error.status || "?"}).`);

      const partial = turn.answer.textContent.trim();
      if (partial) turn.answer.prepend(h("p", { class: "ww-partial-label", lang: LANG, text: T.partial }));
      turn.answer.classList.toggle("ww-answer--partial", Boolean(partial));

      const retry =
        error.kind === "invalid"
          ? null
          : h(
              "button",
              {
                type: "button",
                class: "ww-button ww-retry",
                onclick: () => {
                  turn.answer.classList.remove("ww-answer--partial");
                  this.ask(turn, conversation);
                },
              },
              icon("retry"),
              h("span", { text: T.retry }),
            );
      turn.extras.replaceChildren(
        h(
          "div",
          { class: "ww-error", role: "alert" },
          icon("warn"),
          h(
            "div",
            null,
            lines.map((line) => h("p", { text: line })),
            retry,
          ),
        ),
      );
      this.scrollToEnd();
      if (
        retry &&
        this.shadow.activeElement &&
        this.panel.contains(this.shadow.activeElement) &&
        this.shadow.activeElement !== this.input
      ) {
        retry.focus();
      }
    }

    async openDocument(citation, opener) {
      this.docOpener = opener;
      const title = h("h3", { id: "ww-doc-title", tabindex: "-1", lang: CORPUS_LANG, text: citation.title });
      const body = h(
        "div",
        { class: "ww-doc-body", "aria-busy": "true" },
        h("p", { class: "ww-status", text: T.loadingDoc }),
      );
      // The way back stays at the top while the document scrolls.
      this.docBar = h(
        "div",
        { class: "ww-doc-bar" },
        h(
          "button",
          { type: "button", class: "ww-button ww-button--quiet ww-back", onclick: () => this.closeDocument() },
          icon("back"),
          h("span", { text: T.back }),
        ),
      );
      this.docView.replaceChildren(this.docBar, title, body);
      this.log.hidden = true;
      this.form.hidden = true;
      this.docView.hidden = false;
      this.docView.scrollTop = 0;
      title.focus();
      try {
        if (!this.documents.has(citation.document_id)) {
          this.documents.set(citation.document_id, await fetchDocument(citation.document_id));
        }
        if (this.docView.hidden || this.docOpener !== opener) return;
        this.renderDocument(body, title, this.documents.get(citation.document_id), citation);
      } catch {
        body.replaceChildren(
          h("p", { class: "ww-error", role: "alert" }, icon("warn"), h("span", { text: T.docFailed })),
        );
      } finally {
        body.setAttribute("aria-busy", "false");
      }
    }

    renderDocument(body, title, doc, citation) {
      title.textContent = doc.title || citation.title;
      const meta = h(
        "p",
        { class: "ww-source-meta" },
        verdictBadge(doc.verdict),
        doc.rating_source
          ? h(
              "span",
              { class: "ww-rating" },
              h("span", { text: `${T.ratedBy} ` }),
              h("span", { lang: CORPUS_LANG, text: doc.rating_source }),
            )
          : null,
      );
      const cited = String(citation.section || "")
        .split(" > ")
        .pop();
      let citedSection = null;
      const sections = (Array.isArray(doc.sections) ? doc.sections : []).map((section) => {
        const isCited = cited && section.heading === cited;
        const el = h(
          "section",
          { class: isCited ? "ww-doc-section ww-doc-section--cited" : "ww-doc-section", lang: CORPUS_LANG },
          section.heading ? h("h4", { text: section.heading }) : null,
          isCited ? h("p", { class: "ww-cited-label", lang: LANG, text: T.citedSection }) : null,
          renderMarkdown(section.text || "", null),
        );
        if (isCited && !citedSection) citedSection = el;
        return el;
      });
      const sources = (Array.isArray(doc.sources) ? doc.sources : []).map((source) => {
        const href = safeHttpUrl(source.url);
        return h(
          "li",
          { lang: CORPUS_LANG },
          href
            ? h(
                "a",
                { href, target: "_blank", rel: "noopener noreferrer nofollow" },
                h("span", { text: source.title || href }),
                h("span", { class: "ww-sr", text: ` ${T.newTab}` }),
              )
            : h("span", { text: source.title || "" }),
          source.citation ? h("span", { class: "ww-doc-citation", text: ` — ${source.citation}` }) : null,
        );
      });
      body.replaceChildren(
        meta,
        ...sections,
        sources.length
          ? h("section", { class: "ww-doc-section" }, h("h4", { text: T.docSources }), h("ul", null, sources))
          : null,
      );
      if (citedSection) revealWithin(this.docView, citedSection, "start", this.docBar.offsetHeight + 8);
    }

    closeDocument({ focus = true } = {}) {
      if (this.docView.hidden) return;
      this.docView.hidden = true;
      this.docView.replaceChildren();
      this.log.hidden = false;
      this.form.hidden = false;
      const opener = this.docOpener;
      this.docOpener = null;
      if (focus && opener && opener.isConnected) {
        revealWithin(this.log, opener);
        opener.focus();
      }
    }
  }

  const start = () => new Widget();
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start, { once: true });
})();
