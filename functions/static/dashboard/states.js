// The states a view shows instead of its data: loading, empty, error (with the request id),
// and the API key form. Each says what happened and what to do, under [data-state].

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { time } from "./format.js";

/** A state box: `kind` is loading | empty | error | auth; `actions` are buttons or forms. */
export function stateBox(kind, { title, message, requestId = null, actions = [] }) {
  const urgent = kind === "error" || kind === "auth";
  return el("section", { class: `state state-${kind}`, "data-state": kind, role: urgent ? "alert" : "status" }, [
    title ? el("h2", { class: "state-title" }, [title]) : null,
    el("p", { class: "state-message" }, [message]),
    requestId
      ? el("p", { class: "state-request" }, [`${t("state.request_id")}: `, el("code", { "data-request-id": requestId }, [requestId])])
      : null,
    actions.length ? el("div", { class: "state-actions" }, actions) : null,
  ]);
}

export function loadingState() {
  return stateBox("loading", { message: t("state.loading") });
}

function retryButton(retry) {
  return el("button", { type: "button", class: "button", onclick: retry }, [t("state.retry")]);
}

/** The form that asks for an API key and hands it to `useKey`. */
function keyForm(useKey) {
  const input = el("input", { type: "password", name: "api-key", id: "api-key", autocomplete: "off", required: true,
    spellcheck: "false" });
  const form = el("form", { class: "key-form", onsubmit: (event) => {
    event.preventDefault();
    if (input.value.trim()) useKey(input.value.trim());
  } }, [
    el("label", { for: "api-key" }, [t("state.auth.label")]),
    input,
    el("button", { type: "submit", class: "button" }, [t("state.auth.submit")]),
  ]);
  return form;
}

/** The API key prompt saying `message`; the key entered goes to `useKey`. */
export function keyState(useKey, message) {
  return stateBox("auth", { title: t("state.auth.title"), message, actions: [keyForm(useKey)] });
}

/** What a failed request means to the operator: the ApiError `error` as one state box. */
export function errorState(error, { retry, useKey, keySent }) {
  const requestId = error.requestId || null;
  if (error.status === 401) return keyState(useKey, keySent ? t("state.auth.refused") : t("state.auth.message"));
  if (error.status === 403) {
    return stateBox("auth", { title: t("state.forbidden.title"), message: t("state.forbidden.message"),
      requestId, actions: [keyForm(useKey)] });
  }
  if (error.status === 429) {
    const seconds = error.retryAfter;
    const message = seconds === null ? t("state.rate.message_unknown")
      : t("state.rate.message", { seconds, time: time(new Date(Date.now() + seconds * 1000)) });
    return stateBox("error", { title: t("state.rate.title"), message, requestId, actions: [retryButton(retry)] });
  }
  if (error.status === 0) {
    return stateBox("error", { title: t("state.network.title"), message: t("state.network.message"),
      actions: [retryButton(retry)] });
  }
  if (error.status >= 500) {
    return stateBox("error", { title: t("state.unavailable.title"), message: t("state.unavailable.message"),
      requestId, actions: [retryButton(retry)] });
  }
  const title = error.status === 404 ? t("state.not_found.title") : t("state.request.title");
  return stateBox("error", { title, message: t("state.request.message", { message: error.message }), requestId });
}
