//! Dependency cycles: Flux has no cycle detection, so every member of one waits forever.

use super::owners::{EdgeReason, OwnerGraph};
use super::reach::Reach;
use crate::model::OwnerId;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};

/// A dependency cycle: Flux has no cycle detection, so its members never become Ready.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cycle {
    /// All members of the strongly connected component, sorted.
    pub members: Vec<OwnerId>,
    /// One concrete closed path through it, dependent first (each element waits for the next), the first
    /// element repeated at the end.
    pub path: Vec<OwnerId>,
    /// Why `path[i]` waits for `path[i + 1]`.
    pub steps: Vec<Vec<EdgeReason>>,
}

impl Cycle {
    /// `ks/ns/a -> ks/ns/b -> ks/ns/a`.
    pub fn display(&self) -> String {
        self.path
            .iter()
            .map(OwnerId::short)
            .collect::<Vec<_>>()
            .join(" -> ")
    }
}

fn sorted(reasons: &[EdgeReason]) -> Vec<EdgeReason> {
    let mut v = reasons.to_vec();
    v.sort();
    v
}

/// One cycle per cyclic component, with the shortest closed path from its smallest member.
pub fn find_cycles(g: &OwnerGraph, reach: &Reach) -> Vec<Cycle> {
    let mut cycles = Vec::new();
    for (ci, comp) in reach.components.iter().enumerate() {
        if !reach.cyclic[ci] {
            continue;
        }
        let start = comp[0];
        let in_comp = |x: usize| reach.component_of[x] == ci;
        // BFS from start until an edge leads back to it.
        let mut prev: HashMap<usize, usize> = HashMap::new();
        let mut queue = VecDeque::from([start]);
        let mut last = None;
        'bfs: while let Some(cur) = queue.pop_front() {
            for next in g.succs(cur) {
                if next == start {
                    last = Some(cur);
                    break 'bfs;
                }
                if in_comp(next) && !prev.contains_key(&next) {
                    prev.insert(next, cur);
                    queue.push_back(next);
                }
            }
        }
        let mut path = vec![start];
        let mut cur = last.unwrap_or(start);
        let mut back = Vec::new();
        while cur != start {
            back.push(cur);
            cur = prev.get(&cur).copied().unwrap_or(start);
        }
        path.extend(back.into_iter().rev());
        path.push(start);
        let steps: Vec<Vec<EdgeReason>> = path
            .windows(2)
            .map(|w| {
                let edge = g.graph.find_edge(
                    petgraph::graph::NodeIndex::new(w[0]),
                    petgraph::graph::NodeIndex::new(w[1]),
                );
                edge.map(|e| sorted(&g.graph[e])).unwrap_or_default()
            })
            .collect();
        // Dependent first, as dependsOn reads: each element waits for the next.
        path.reverse();
        let mut steps: Vec<Vec<EdgeReason>> = steps;
        steps.reverse();
        cycles.push(Cycle {
            members: comp.iter().map(|&m| g.ids[m].clone()).collect(),
            path: path.iter().map(|&m| g.ids[m].clone()).collect(),
            steps,
        });
    }
    cycles
}
