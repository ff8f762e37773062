//! Rendering a path of the reduced model as numbered steps.

use super::*;

impl ReducedModel {
    /// Renders a path of this model as numbered steps.
    pub fn render(&self, path: &stateright::Path<ReducedState, ReducedAction>) -> String {
        let cx = &self.cx;
        let steps = path.clone().into_vec();
        let mut out = String::new();
        if let Some((first, _)) = steps.first() {
            for (k, m) in self.proposals.iter().enumerate() {
                let _ = writeln!(out, "  init: P{} sends {}", k + 1, describe(cx, first, m));
            }
        }
        for (k, w) in steps.windows(2).enumerate() {
            let (prev, action) = (&w[0].0, &w[0].1);
            let next = &w[1].0;
            if let Some(ReducedAction::Forge(f)) = action {
                let m = f.message();
                let _ = writeln!(
                    out,
                    "{:>3}. {} (arbitrary) forges {}",
                    k + 1,
                    cx.config.graph.acceptor_name(f.by),
                    describe(cx, next, &m)
                );
            }
            if let Some(ReducedAction::Deliver { to, ids }) = action {
                let name = cx.names.get(*to).cloned().unwrap_or_default();
                for (n, id) in ids.iter().enumerate() {
                    let Some(m) = prev.sent.get(id) else { continue };
                    let from = m
                        .signer()
                        .map(|a| cx.config.graph.acceptor_name(a).to_string())
                        .unwrap_or_else(|| "a proposer".into());
                    let step = if n == 0 {
                        format!("{:>3}.", k + 1)
                    } else {
                        "    ".to_string()
                    };
                    let _ = writeln!(
                        out,
                        "{step} {name} receives {} from {from}",
                        describe(cx, next, m)
                    );
                }
                let mut sent = 0;
                for (id, m) in next.sent.iter() {
                    if !prev.sent.contains_key(id) {
                        sent += 1;
                        let _ = writeln!(out, "       {name} sends {}", describe(cx, next, m));
                    }
                }
                if let (Some(a), Some(b)) = (prev.acceptors.get(*to), next.acceptors.get(*to)) {
                    let stale = b
                        .store()
                        .len()
                        .saturating_sub(a.store().len() + ids.len() + sent);
                    if stale > 0 {
                        let _ = writeln!(out, "       ({name} also takes {stale} stale 1a(s))");
                    }
                }
            }
            write_new_decisions(&mut out, cx, prev, next);
        }
        if let Some((last, _)) = steps.last() {
            out.push_str(&render_final(cx, last));
        }
        out
    }
}
