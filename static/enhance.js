/* Lantern: optional enhancements. Every page works without this file. */
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
  addEventListener("online", () => {
    const sw = navigator.serviceWorker.controller;
    if (sw) sw.postMessage("flush");
  });
}
