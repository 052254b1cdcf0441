// The headline of one screening result (props: assistant/core/events.py ResultCard). Every word comes in the
// props, rendered by the text package (props.labels: the card's own words). Inline styles on the theme's
// CSS variables: Chainlit's Tailwind build only has the classes its own UI uses.
// White on each badge colour is at least 4.5:1 (WCAG 1.4.3) in either theme; the urgency is also in the
// badge's words ("Urgency: Urgent"), never in the colour alone.
const TIERS = {
  urgent: { colour: "#c2410c", tint: "rgba(194, 65, 12, 0.10)" },
  high: { colour: "#b45309", tint: "rgba(180, 83, 9, 0.11)" },
  moderate: { colour: "#854d0e", tint: "rgba(133, 77, 14, 0.12)" },
  low: { colour: "#0f766e", tint: "rgba(15, 118, 110, 0.09)" },
};

const muted = "hsl(var(--muted-foreground))";
const headline = { display: "flex", alignItems: "baseline", justifyContent: "space-between", gap: 12, flexWrap: "wrap" };

export default function ResultCard() {
  const tier = TIERS[props.tier] || TIERS.moderate;
  return (
    <div
      className="ham-result-card"
      data-tier={props.tier}
      lang={props.lang}
      style={{
        border: "1px solid hsl(var(--border))",
        borderRadius: 14,
        overflow: "hidden",
        background: "hsl(var(--card))",
        maxWidth: 640,
        boxShadow: "0 1px 3px rgba(15, 40, 40, 0.06)",
      }}
    >
      <div style={{ padding: "14px 18px 12px" }}>
        <div style={{ fontSize: 12, letterSpacing: "0.06em", textTransform: "uppercase", color: muted }}>
          {props.labels.eyebrow}
        </div>
        <div style={{ ...headline, marginTop: 2 }}>
          <h3 className="ham-result-name" style={{ fontSize: 22, fontWeight: 650, lineHeight: 1.25, margin: 0 }}>
            {props.display_name}
          </h3>
          <div style={{ fontSize: 14, color: muted }}>
            <span style={{ fontSize: 18, fontWeight: 650, color: "hsl(var(--foreground))" }}>
              {props.labels.percent}
            </span>{" "}
            {props.labels.match}
          </div>
        </div>
        <p style={{ margin: "8px 0 0", fontSize: 15, lineHeight: 1.5 }}>{props.description}</p>
        {props.caution ? (
          <p
            className="ham-caution"
            style={{ margin: "8px 0 0", padding: "2px 0 2px 10px", borderLeft: `3px solid ${tier.colour}`,
                     fontSize: 15, lineHeight: 1.5, fontWeight: 600 }}
          >
            {props.caution}
          </p>
        ) : null}
      </div>
      <div
        className="ham-urgency"
        style={{ background: tier.tint, borderTop: `3px solid ${tier.colour}`, padding: "12px 18px 14px" }}
      >
        <span
          style={{
            display: "inline-block",
            background: tier.colour,
            color: "#ffffff",
            borderRadius: 999,
            padding: "2px 12px",
            fontWeight: 650,
            fontSize: 13,
            letterSpacing: "0.02em",
          }}
        >
          {props.labels.urgency}
        </span>
        <div style={{ marginTop: 8, fontWeight: 600, fontSize: 15, lineHeight: 1.45 }}>{props.action}</div>
        <div style={{ marginTop: 4, fontSize: 14, lineHeight: 1.45, color: muted }}>{props.labels.why}</div>
      </div>
      <div style={{ padding: "8px 18px", fontSize: 12, color: muted, borderTop: "1px solid hsl(var(--border))" }}>
        {props.labels.footer}
      </div>
    </div>
  );
}
