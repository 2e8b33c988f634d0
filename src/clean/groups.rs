//! Groups from pairs: the connected components of the "near each other" graph (union-find), each
//! member with the closest link that put it there.

/// One group: members (indices into what was compared) in ascending order, each with the best
/// score of a pair it is in (a distance: smaller is closer; a similarity: larger is closer).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// Members, ascending.
    pub members: Vec<u32>,
    /// Each member's best score, in the order of `members`.
    pub scores: Vec<f64>,
}

/// Union-find with path halving and union by size.
pub struct Components {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl Components {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        Self { parent: (0..n as u32).collect(), size: vec![1; n] }
    }

    /// The representative of `x`.
    pub fn find(&mut self, mut x: u32) -> u32 {
        while self.parent[x as usize] != x {
            let p = self.parent[x as usize];
            self.parent[x as usize] = self.parent[p as usize];
            x = self.parent[x as usize];
        }
        x
    }

    /// Joins the components of `a` and `b`.
    pub fn union(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return;
        }
        let (big, small) = if self.size[ra as usize] >= self.size[rb as usize] { (ra, rb) } else { (rb, ra) };
        self.parent[small as usize] = big;
        self.size[big as usize] += self.size[small as usize];
    }
}

/// The groups of `n` items linked by `pairs` (`(i, j, score)`), groups of two or more only,
/// ordered by their first member. `smaller_is_closer` says how scores compare.
pub fn group_pairs(n: usize, pairs: &[(u32, u32, f64)], smaller_is_closer: bool) -> Vec<Group> {
    let mut uf = Components::new(n);
    let mut best: std::collections::HashMap<u32, f64> = std::collections::HashMap::new();
    let better = |a: f64, b: f64| if smaller_is_closer { a < b } else { a > b };
    for &(i, j, score) in pairs {
        uf.union(i, j);
        for x in [i, j] {
            best.entry(x).and_modify(|s| *s = if better(score, *s) { score } else { *s }).or_insert(score);
        }
    }
    let mut by_root: std::collections::BTreeMap<u32, Vec<u32>> = std::collections::BTreeMap::new();
    let mut linked: Vec<u32> = best.keys().copied().collect();
    linked.sort_unstable();
    for x in linked {
        by_root.entry(uf.find(x)).or_default().push(x);
    }
    let mut groups: Vec<Group> = by_root
        .into_values()
        .filter(|m| m.len() > 1)
        .map(|members| {
            let scores = members.iter().map(|m| best[m]).collect();
            Group { members, scores }
        })
        .collect();
    groups.sort_by_key(|g| g.members[0]);
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chains_join_and_each_member_keeps_its_closest_link() {
        let groups = group_pairs(6, &[(0, 1, 3.0), (1, 2, 1.0), (4, 5, 0.0)], true);
        assert_eq!(groups.len(), 2);
        assert_eq!(groups[0].members, [0, 1, 2]);
        assert_eq!(groups[0].scores, [3.0, 1.0, 1.0]);
        assert_eq!(groups[1].members, [4, 5]);
        let sim = group_pairs(3, &[(0, 2, 0.8), (0, 1, 0.9)], false);
        assert_eq!(sim[0].scores, [0.9, 0.9, 0.8]);
    }
}
