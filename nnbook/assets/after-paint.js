/* Runs the page's scripts once it is parsed and its first frame is on screen (nnbook/scripts.py).
   SOURCES is replaced by the page's script URLs, in page order. */
(function (sources) {
  var started = false;
  function run() {
    if (started) return;
    started = true;
    sources.forEach(function (src, i) {
      var script = document.createElement("script");
      script.src = src;
      script.async = false; /* one after another, in page order */
      if (i === sources.length - 1) script.onload = script.onerror = function () {
        /* Material starts on DOMContentLoaded, which has passed: replay it for the scripts just run */
        document.dispatchEvent(new Event("DOMContentLoaded", { bubbles: true }));
      };
      document.body.appendChild(script);
    });
  }
  function afterFirstPaint() {
    if ((window.PerformanceObserver && PerformanceObserver.supportedEntryTypes || []).indexOf("paint") < 0) return run();
    setTimeout(run, 3000); /* should no paint be reported (a page loaded in a hidden tab) */
    new PerformanceObserver(function (list, observer) {
      if (!list.getEntriesByName("first-contentful-paint").length) return;
      observer.disconnect();
      run();
    }).observe({ type: "paint", buffered: true });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", afterFirstPaint, { once: true });
  else afterFirstPaint();
})(SOURCES);
