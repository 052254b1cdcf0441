// The probability chart's text alternative (props: assistant/core/events.py ProbabilityChart): a summary in
// words, and the seven shares as a real table behind a toggle, for screen readers and for anyone who
// prefers numbers to bars. Every word comes in the props (messages.toml [chart]); none are written here.
const muted = "hsl(var(--muted-foreground))";
const cell = { padding: "4px 10px", borderBottom: "1px solid hsl(var(--border))", textAlign: "left" };

export default function ChartTable() {
  const labels = props.table || {};
  return (
    <div className="ham-chart-table" lang={props.lang} style={{ maxWidth: 640, fontSize: 14, lineHeight: 1.5 }}>
      <p className="ham-chart-summary" style={{ margin: "4px 0 6px" }}>{props.summary}</p>
      <details>
        <summary style={{ cursor: "pointer", color: "hsl(var(--primary))", fontWeight: 600 }}>{labels.toggle}</summary>
        <table style={{ borderCollapse: "collapse", marginTop: 6, minWidth: 260 }}>
          <caption style={{ textAlign: "left", color: muted, paddingBottom: 4 }}>{props.title}</caption>
          <thead>
            <tr>
              <th scope="col" style={cell}>{labels.column_kind}</th>
              <th scope="col" style={{ ...cell, textAlign: "right" }}>{labels.column_match}</th>
            </tr>
          </thead>
          <tbody>
            {(props.bars || []).map((bar) => (
              <tr key={bar.label}>
                <th scope="row" style={{ ...cell, fontWeight: bar.top ? 650 : 400 }}>{bar.label}</th>
                <td style={{ ...cell, textAlign: "right" }}>{bar.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
