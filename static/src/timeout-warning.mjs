// The idle sign-out warning (issue 19), after the GOV.UK / HMPPS timeout-warning pattern:
// two minutes before the sign-in ends a modal dialog says so, counts down, and offers
// "Stay signed in" (which asks the server to restart the 30 minutes). Escape does the same.
// When the time is up the dialog says they were signed out; what they typed stays on the
// page, and sending it then keeps it for them to see filled in after signing in again.
const dialog = document.querySelector("[data-module='app-timeout-warning']");

if (dialog && typeof dialog.showModal === "function") {
  const idleSeconds = Number(dialog.dataset.idleSeconds);
  const warnSeconds = Number(dialog.dataset.warnSeconds);
  const stayUrl = dialog.dataset.stayUrl;
  const csrfToken = dialog.dataset.csrfToken;
  const countdown = dialog.querySelector("[data-timeout-countdown]");
  const spoken = dialog.querySelector("[data-timeout-spoken]");
  const warning = dialog.querySelector("[data-timeout-warning]");
  const signedOut = dialog.querySelector("[data-timeout-signed-out]");
  const stay = dialog.querySelector("[data-timeout-stay]");
  let lastActive = Date.now();
  let ticking = null;

  const words = (seconds) => {
    const minutes = Math.floor(seconds / 60);
    const rest = seconds % 60;
    const parts = [];
    if (minutes) parts.push(`${minutes} minute${minutes === 1 ? "" : "s"}`);
    if (rest || !minutes) parts.push(`${rest} second${rest === 1 ? "" : "s"}`);
    return parts.join(" ");
  };

  const secondsLeft = () =>
    Math.max(0, Math.round(idleSeconds - (Date.now() - lastActive) / 1000));

  const showSignedOut = () => {
    clearInterval(ticking);
    ticking = null;
    warning.hidden = true;
    signedOut.hidden = false;
    if (!dialog.open) dialog.showModal();
    signedOut.querySelector("h2").focus();
  };

  const tick = () => {
    const left = secondsLeft();
    if (left <= 0) {
      showSignedOut();
      return;
    }
    countdown.textContent = words(left);
    // Screen readers hear the time left every 20 seconds, not every second.
    if (left % 20 === 0 || spoken.textContent === "") {
      spoken.textContent = `You will be signed out in ${words(left)}.`;
    }
  };

  const warn = () => {
    warning.hidden = false;
    signedOut.hidden = true;
    spoken.textContent = "";
    tick();
    dialog.showModal();
    warning.querySelector("h2").focus();
    ticking = setInterval(tick, 1000);
  };

  let warnTimer = null;
  const schedule = () => {
    clearTimeout(warnTimer);
    warnTimer = setTimeout(warn, Math.max(0, (idleSeconds - warnSeconds) * 1000));
  };

  const staySignedIn = async () => {
    const response = await fetch(stayUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken },
      redirect: "manual",
    });
    if (response.status !== 204) {
      showSignedOut();
      return;
    }
    lastActive = Date.now();
    clearInterval(ticking);
    ticking = null;
    dialog.close();
    schedule();
  };

  stay.addEventListener("click", staySignedIn);
  dialog.addEventListener("cancel", (event) => {
    // Escape: the same as "Stay signed in" while there is still time.
    event.preventDefault();
    if (!warning.hidden) staySignedIn();
  });
  // Every htmx request to the server also restarts the server's 30 minutes.
  document.body.addEventListener("htmx:afterRequest", () => {
    if (!dialog.open) {
      lastActive = Date.now();
      schedule();
    }
  });
  schedule();
}
