// Draws the dashboard's charts (Chart.js, served from static/vendor) from each canvas's
// `data-chart` attribute, which the server fills from the analytics services. No inline script:
// the page works under `script-src 'self'`. Colours come from Bootstrap's CSS variables, so the
// charts follow the light/dark theme, and are re-read when the theme changes.
(function () {
  "use strict";

  const root = document.getElementById("dashboard");
  if (!root) return;

  // A date typed into From/To means a custom range.
  const period = document.getElementById("period");
  for (const id of ["date_from", "date_to"]) {
    const input = document.getElementById(id);
    if (input && period) input.addEventListener("change", () => { period.value = "custom"; });
  }

  // A tag the browser does not know (or none) falls back to en-US rather than breaking the charts.
  function localeOf(tag) {
    try {
      return Intl.NumberFormat.supportedLocalesOf([tag || "en-US"])[0] || "en-US";
    } catch (error) {
      return "en-US";
    }
  }

  const canvases = root.querySelectorAll("canvas[data-chart]");
  if (!canvases.length || typeof Chart === "undefined") return;

  // Amounts in the user's locale (a BCP 47 tag such as "de-DE" from data-locale), as on the page.
  const locale = localeOf(root.dataset.locale);
  const currency = root.dataset.currency || "USD";
  const money = new Intl.NumberFormat(locale, { style: "currency", currency });
  const compactMoney = new Intl.NumberFormat(locale, {
    style: "currency", currency, notation: "compact", maximumFractionDigits: 1,
  });
  const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const toNumber = (value) => (value === null ? null : Number.parseFloat(value));

  function theme() {
    const style = getComputedStyle(document.documentElement);
    const css = (name) => style.getPropertyValue(name).trim();
    return {
      text: css("--bs-secondary-color"),
      grid: css("--bs-border-color-translucent"),
      background: css("--bs-body-bg"),
      primary: css("--bs-primary"),
      muted: css("--bs-secondary-color"),
      font: getComputedStyle(document.body).fontFamily,
    };
  }

  function navigateTo(links) {
    return (event, elements) => {
      if (elements.length && links && links[elements[0].index]) window.location.assign(links[elements[0].index]);
    };
  }

  function pointer(links) {
    return (event, elements) => {
      event.native.target.style.cursor = elements.length && links ? "pointer" : "default";
    };
  }

  const tooltipMoney = { callbacks: { label: (ctx) => `${ctx.dataset.label || ctx.label}: ${money.format(ctx.raw)}` } };

  function config(data, colors) {
    const common = {
      responsive: true,
      maintainAspectRatio: false,
      animation: reducedMotion ? false : undefined,
      onClick: navigateTo(data.links),
      onHover: pointer(data.links),
    };
    if (data.type === "doughnut") {
      return {
        type: "doughnut",
        data: {
          labels: data.labels,
          datasets: [{ data: data.values.map(toNumber), backgroundColor: data.colors, borderColor: colors.background }],
        },
        options: {
          ...common,
          plugins: {
            legend: { position: "right", labels: { boxWidth: 12 } },
            tooltip: { callbacks: { label: (ctx) => `${ctx.label}: ${money.format(ctx.raw)}` } },
          },
        },
      };
    }
    if (data.type === "bar") {
      const valueAxis = { beginAtZero: true, ticks: { callback: (value) => compactMoney.format(value) } };
      return {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{
            label: data.series,
            data: data.values.map(toNumber),
            backgroundColor: colors.primary,
            borderRadius: 3,
          }],
        },
        options: {
          ...common,
          indexAxis: data.horizontal ? "y" : "x",
          scales: data.horizontal ? { x: valueAxis } : { y: valueAxis, x: { ticks: { maxRotation: 0, autoSkip: true } } },
          plugins: { legend: { display: false }, tooltip: { callbacks: { label: (ctx) => money.format(ctx.raw) } } },
        },
      };
    }
    return {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((series, index) => ({
          label: series.label,
          data: series.values.map(toNumber),
          borderColor: index === 0 ? colors.primary : colors.muted,
          backgroundColor: index === 0 ? colors.primary : colors.muted,
          borderDash: index === 0 ? [] : [6, 4],
          // A one-day period has a single point: draw it, or the chart looks empty.
          pointRadius: data.labels.length === 1 ? 4 : 0,
          pointHitRadius: 8,
        })),
      },
      options: {
        ...common,
        interaction: { mode: "index", intersect: false },
        scales: {
          y: { beginAtZero: true, ticks: { callback: (value) => compactMoney.format(value) } },
          x: { title: { display: true, text: "Day of the period" }, ticks: { maxRotation: 0, autoSkip: true } },
        },
        plugins: {
          legend: { position: "bottom", labels: { usePointStyle: true, pointStyle: "line" } },
          tooltip: tooltipMoney,
        },
      },
    };
  }

  function applyDefaults(colors) {
    Chart.defaults.locale = locale;
    Chart.defaults.color = colors.text;
    Chart.defaults.borderColor = colors.grid;
    Chart.defaults.font.family = colors.font;
  }

  let colors = theme();
  applyDefaults(colors);
  const charts = [];
  for (const canvas of canvases) {
    const data = JSON.parse(canvas.dataset.chart);
    charts.push({ chart: new Chart(canvas, config(data, colors)), data });
  }
  // The charts are drawn: show them and fold the tables away (they stay one click away).
  root.classList.add("charts-ready");
  for (const details of root.querySelectorAll("details.chart-table")) details.open = false;

  // Follow theme switches (theme.js flips data-bs-theme when the system preference changes).
  new MutationObserver(() => {
    colors = theme();
    applyDefaults(colors);
    for (const { chart, data } of charts) {
      const fresh = config(data, colors);
      chart.options = fresh.options;
      chart.data.datasets.forEach((dataset, index) => Object.assign(dataset, {
        backgroundColor: fresh.data.datasets[index].backgroundColor,
        borderColor: fresh.data.datasets[index].borderColor,
      }));
      chart.update("none");
    }
  }).observe(document.documentElement, { attributes: true, attributeFilter: ["data-bs-theme"] });
})();
