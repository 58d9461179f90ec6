use super::*;

fn alert(text: &str, labels: &[(&str, &str)], value: f64) -> Result<String, TemplateError> {
    let labels = Labels::from_pairs(labels.iter().copied());
    let external = Labels::from_pairs([("cluster", "eu1")]);
    let data = AlertData {
        labels: &labels,
        external_labels: &external,
        external_url: "http://prom.example:9090/prometheus",
        value,
    };
    let query = |q: &str| -> Result<Vec<Sample>, String> {
        match q {
            "up" => Ok(vec![
                Sample::new(&Labels::from_pairs([("__name__", "up"), ("instance", "b")]), 0.0),
                Sample::new(&Labels::from_pairs([("__name__", "up"), ("instance", "a")]), 1.0),
            ]),
            "empty" => Ok(Vec::new()),
            _ => Err(format!("bad query {q}")),
        }
    };
    let ctx = Context {
        time_ms: 60_000,
        external_url: data.external_url,
        query: &query,
        functions: None,
    };
    Template::parse("__alert_Test", text)?.execute_alert(&data, &ctx)
}

#[test]
fn variables_and_fields() {
    let l = [("instance", "host:9100"), ("job", "node")];
    assert_eq!(
        alert("{{ $labels.instance }} of {{ .Labels.job }}", &l, 1.0).unwrap(),
        "host:9100 of node"
    );
    assert_eq!(alert("{{ $labels.missing }}|", &l, 1.0).unwrap(), "|");
    assert_eq!(alert("{{ $value }}", &l, 0.25).unwrap(), "0.25");
    assert_eq!(
        alert("{{ $externalLabels.cluster }} {{ $externalURL }}", &l, 0.0).unwrap(),
        "eu1 http://prom.example:9090/prometheus"
    );
    assert_eq!(alert("{{ pathPrefix }}", &l, 0.0).unwrap(), "/prometheus");
}

#[test]
fn pipelines_and_functions() {
    let l = [("instance", "host.example.com:9100")];
    assert_eq!(
        alert("{{ $value | humanizePercentage }}", &l, 0.1234).unwrap(),
        "12.34%"
    );
    assert_eq!(alert("{{ printf \"%.1f\" $value }}", &l, 2.25).unwrap(), "2.2");
    assert_eq!(
        alert("{{ $labels.instance | stripDomain | toUpper }}", &l, 0.0).unwrap(),
        "HOST:9100"
    );
    assert_eq!(
        alert("{{ reReplaceAll \"(.*):.*\" \"$1\" $labels.instance }}", &l, 0.0).unwrap(),
        "host.example.com"
    );
    assert_eq!(
        alert("{{ if match \"^host\" $labels.instance }}yes{{ end }}", &l, 0.0).unwrap(),
        "yes"
    );
    assert_eq!(
        alert("{{ 3600 | humanizeDuration }}", &l, 0.0).unwrap(),
        "1h 0m 0s"
    );
    assert_eq!(
        alert("{{ humanizeTimestamp 0 }}", &l, 0.0).unwrap(),
        "1970-01-01 00:00:00 +0000 UTC"
    );
}

#[test]
fn control_flow() {
    let l = [("severity", "page")];
    let t = "{{ if gt $value 10.0 }}high{{ else if gt $value 5.0 }}mid{{ else }}low{{ end }}";
    assert_eq!(alert(t, &l, 11.0).unwrap(), "high");
    assert_eq!(alert(t, &l, 6.0).unwrap(), "mid");
    assert_eq!(alert(t, &l, 1.0).unwrap(), "low");
    assert_eq!(
        alert(
            "{{ with $labels.severity }}[{{ . }}]{{ else }}none{{ end }}",
            &l,
            0.0
        )
        .unwrap(),
        "[page]"
    );
    assert_eq!(
        alert(
            "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
            &l,
            0.0
        )
        .unwrap(),
        "severity=page;"
    );
    assert_eq!(alert("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", &l, 0.0).unwrap(), "2");
    assert_eq!(
        alert("a  {{- \"b\" -}}  c{{/* note */}}", &l, 0.0).unwrap(),
        "abc"
    );
    assert_eq!(
        alert("{{ and 1 0 }} {{ or 0 \"x\" }} {{ not true }}", &l, 0.0).unwrap(),
        "0 x false"
    );
}

#[test]
fn queries() {
    assert_eq!(
        alert("{{ query \"up\" | first | value }}", &[], 0.0).unwrap(),
        "0"
    );
    assert_eq!(
        alert("{{ range query \"up\" | sortByLabel \"instance\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}", &[], 0.0)
            .unwrap(),
        "a=1 b=0 "
    );
    assert_eq!(
        alert(
            "{{ with query \"up\" }}{{ . | first | label \"instance\" }}{{ end }}",
            &[],
            0.0
        )
        .unwrap(),
        "b"
    );
    let e = alert("{{ query \"empty\" | first | value }}", &[], 0.0).unwrap_err();
    assert!(
        e.to_string()
            .contains("first() called on vector with no elements"),
        "{e}"
    );
    assert!(Template::parse("t", "{{ query \"up\" }}").unwrap().uses_query());
    assert!(!Template::parse("t", "{{ $value }}").unwrap().uses_query());
}

#[test]
fn errors_name_the_template() {
    let e = Template::parse("__alert_X", "{{ if }}").unwrap_err();
    assert!(e.to_string().starts_with("template: __alert_X:1:"), "{e}");
    assert!(Template::parse("t", "{{ end }}").is_err());
    assert!(Template::parse("t", "{{ if 1 }}").is_err());
    assert!(Template::parse("t", "{{ \"open }}").is_err());
    let e = alert("{{ gt $value 1 }}", &[], 2.0).unwrap_err();
    assert!(e.to_string().contains("incompatible types"), "{e}");
    let e = alert("{{ nosuch 1 }}", &[], 2.0).unwrap_err();
    assert!(e.to_string().contains("not defined"), "{e}");
}
