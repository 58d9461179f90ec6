//! Finding where groups, rules and their keys are in a rule file's YAML text, so that
//! problems found after parsing can name a line.

/// The key a YAML line starts with (after indentation and an optional `- `), with the
/// column (1-based) of the value after the colon.
fn line_key(line: &str) -> Option<(&str, usize)> {
    let indent = line.len() - line.trim_start().len();
    let mut rest = &line[indent..];
    let mut col = indent;
    if let Some(r) = rest.strip_prefix("- ") {
        let skipped = r.len() - r.trim_start().len();
        col += 2 + skipped;
        rest = r.trim_start();
    }
    let colon = rest.find(':')?;
    let key = rest[..colon].trim().trim_matches(['"', '\'']);
    if key.is_empty() || key.contains(' ') || key.starts_with('#') {
        return None;
    }
    let after = &rest[colon + 1..];
    let value_col = col + colon + 1 + (after.len() - after.trim_start().len());
    Some((key, value_col + 1))
}

/// Line and column positions of the parts of a rule file.
#[derive(Debug, Default)]
pub struct Locations {
    /// Line of each group's `name:` key, in order.
    pub groups: Vec<usize>,
    /// Line of each rule's `record:`/`alert:` key, in order over all groups.
    pub rules: Vec<usize>,
    lines: Vec<(usize, String, usize)>,
}

impl Locations {
    /// Scans `text`.
    pub fn scan(text: &str) -> Locations {
        let mut loc = Locations::default();
        let mut group_indent: Option<usize> = None;
        for (i, line) in text.lines().enumerate() {
            let Some((key, col)) = line_key(line) else {
                continue;
            };
            let indent = line.len() - line.trim_start().len();
            loc.lines.push((i + 1, key.to_string(), col));
            match key {
                "name" if group_indent.is_none_or(|g| indent <= g) => {
                    group_indent = Some(indent);
                    loc.groups.push(i + 1);
                }
                "record" | "alert" => loc.rules.push(i + 1),
                _ => {}
            }
        }
        loc
    }

    /// Line of the `n`-th rule (0-based over the whole file), or of its group when not found.
    pub fn rule(&self, n: usize) -> usize {
        self.rules.get(n).copied().unwrap_or(1)
    }

    /// Line and value column of `key` within the `n`-th rule.
    pub fn rule_key(&self, n: usize, key: &str) -> (usize, usize) {
        let start = self.rule(n);
        let end = self.rules.get(n + 1).copied().unwrap_or(usize::MAX);
        let previous = if n == 0 { 0 } else { self.rule(n - 1) };
        // The key usually follows `record:`/`alert:`, but may come before it.
        let find = |from: usize, to: usize| {
            self.lines
                .iter()
                .find(|(line, k, _)| *line >= from && *line < to && k == key)
                .map(|(line, _, col)| (*line, *col))
        };
        find(start, end)
            .or_else(|| find(previous + 1, start))
            .unwrap_or((start, 1))
    }

    /// Line of the `n`-th group.
    pub fn group(&self, n: usize) -> usize {
        self.groups.get(n).copied().unwrap_or(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_groups_rules_and_keys() {
        let text = "groups:\n  - name: a\n    rules:\n      - record: x\n        expr: up\n      - alert: Y\n        expr: 'up == 0'\n        labels:\n          name: z\n  - name: b\n    rules: []\n";
        let loc = Locations::scan(text);
        assert_eq!(loc.groups, [2, 10]);
        assert_eq!(loc.rules, [4, 6]);
        assert_eq!(loc.rule_key(0, "expr"), (5, 15));
        assert_eq!(loc.rule_key(1, "expr"), (7, 15));
    }
}
