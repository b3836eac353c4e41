//! Transitive reachability over the owner graph, cycle-tolerant: strongly connected components (Tarjan) in
//! topological order, and for each component the bit set of all its ancestors.

use petgraph::Direction;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Fixed-size bit set over node indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BitSet(Vec<u64>);

impl BitSet {
    pub fn new(len: usize) -> Self {
        BitSet(vec![0; len.div_ceil(64)])
    }

    pub fn insert(&mut self, i: usize) {
        if let Some(w) = self.0.get_mut(i / 64) {
            *w |= 1 << (i % 64);
        }
    }

    pub fn contains(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn union_with(&mut self, other: &BitSet) {
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// Members in ascending order.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(wi, &w)| {
            (0..64)
                .filter(move |b| w & (1 << b) != 0)
                .map(move |b| wi * 64 + b)
        })
    }
}

/// Components and ancestor sets of a graph.
#[derive(Debug)]
pub struct Reach {
    /// Components in topological order (prerequisites first), members sorted.
    pub components: Vec<Vec<usize>>,
    /// Node → its component's position in `components`.
    pub component_of: Vec<usize>,
    /// Per component: whether it is a cycle (more than one member, or a self-loop).
    pub cyclic: Vec<bool>,
    /// Per component: every node that can reach it, including its own members when cyclic.
    ancestors: Vec<BitSet>,
}

impl Reach {
    pub fn new<E>(graph: &DiGraph<usize, E>) -> Reach {
        let n = graph.node_count();
        // tarjan_scc yields components in reverse topological order.
        let mut components: Vec<Vec<usize>> = tarjan_scc(graph)
            .into_iter()
            .rev()
            .map(|c| {
                let mut v: Vec<usize> = c.into_iter().map(NodeIndex::index).collect();
                v.sort_unstable();
                v
            })
            .collect();
        components.shrink_to_fit();
        let mut component_of = vec![0; n];
        for (ci, c) in components.iter().enumerate() {
            for &m in c {
                component_of[m] = ci;
            }
        }
        let mut cyclic = Vec::with_capacity(components.len());
        let mut ancestors: Vec<BitSet> = Vec::with_capacity(components.len());
        for (ci, c) in components.iter().enumerate() {
            let mut set = BitSet::new(n);
            let mut is_cycle = c.len() > 1;
            for &m in c {
                for p in graph.neighbors_directed(NodeIndex::new(m), Direction::Incoming) {
                    let (p, pc) = (p.index(), component_of[p.index()]);
                    if pc == ci {
                        is_cycle = true;
                    } else {
                        // Topological order: pc < ci, so its set is final.
                        set.union_with(&ancestors[pc]);
                        set.insert(p);
                    }
                }
            }
            if is_cycle {
                for &m in c {
                    set.insert(m);
                }
            }
            cyclic.push(is_cycle);
            ancestors.push(set);
        }
        Reach {
            components,
            component_of,
            cyclic,
            ancestors,
        }
    }

    /// Whether `node` (transitively) waits for `ancestor`.
    pub fn depends_on(&self, node: usize, ancestor: usize) -> bool {
        self.component_of
            .get(node)
            .is_some_and(|&c| self.ancestors[c].contains(ancestor))
    }

    /// All nodes `node` transitively waits for (includes itself when on a cycle).
    #[cfg(test)]
    pub fn ancestors(&self, node: usize) -> &BitSet {
        &self.ancestors[self.component_of[node]]
    }

    #[cfg(test)]
    pub fn on_cycle(&self, node: usize) -> bool {
        self.cyclic[self.component_of[node]]
    }

    /// Nodes in a topological order (components in order, members ascending).
    pub fn topo_nodes(&self) -> impl Iterator<Item = usize> + '_ {
        self.components.iter().flatten().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> DiGraph<usize, ()> {
        let mut g = DiGraph::new();
        for i in 0..n {
            g.add_node(i);
        }
        for &(a, b) in edges {
            g.add_edge(NodeIndex::new(a), NodeIndex::new(b), ());
        }
        g
    }

    #[test]
    fn chain_and_cycle() {
        // 0 -> 1 -> 2, 3 <-> 4 -> 5
        let r = Reach::new(&graph(6, &[(0, 1), (1, 2), (3, 4), (4, 3), (4, 5)]));
        assert!(r.depends_on(2, 0));
        assert!(!r.depends_on(0, 2));
        assert!(r.on_cycle(3) && r.on_cycle(4) && !r.on_cycle(5));
        assert!(r.depends_on(3, 3));
        assert_eq!(r.ancestors(5).iter().collect::<Vec<_>>(), vec![3, 4]);
        let pos = |n| r.topo_nodes().position(|x| x == n).unwrap();
        assert!(pos(0) < pos(1) && pos(1) < pos(2) && pos(4) < pos(5));
    }

    #[test]
    fn bitset_iterates_in_order() {
        let mut b = BitSet::new(200);
        for i in [150, 3, 64, 63] {
            b.insert(i);
        }
        assert_eq!(b.iter().collect::<Vec<_>>(), vec![3, 63, 64, 150]);
        assert!(!b.contains(1000));
    }
}
