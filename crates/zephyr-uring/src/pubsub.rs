//! Topic subscriptions of one listener's WebSocket connections, for fan-out in native code: a
//! published message is framed once and queued on every subscriber without a call per
//! subscriber into JS.

use std::collections::{HashMap, HashSet};

use crate::conn::ConnId;

/// Subscribers by topic. A connection that went away is removed lazily, by the next publish to
/// a topic it was in (its slot's generation no longer matches), so closing costs nothing here.
#[derive(Debug, Default)]
pub struct Topics {
    map: HashMap<Box<[u8]>, HashSet<ConnId>>,
}

impl Topics {
    /// Adds `id` to `topic`.
    pub fn subscribe(&mut self, topic: &[u8], id: ConnId) {
        match self.map.get_mut(topic) {
            Some(set) => {
                set.insert(id);
            }
            None => {
                self.map.insert(topic.into(), HashSet::from([id]));
            }
        }
    }

    /// Removes `id` from `topic`.
    pub fn unsubscribe(&mut self, topic: &[u8], id: ConnId) {
        if let Some(set) = self.map.get_mut(topic) {
            set.remove(&id);
            if set.is_empty() {
                self.map.remove(topic);
            }
        }
    }

    /// Takes the subscribers of `topic` out for a fan-out; give them back with [`Self::put_back`].
    pub fn take(&mut self, topic: &[u8]) -> Option<HashSet<ConnId>> {
        self.map.get_mut(topic).map(std::mem::take)
    }

    /// Returns the subscribers taken by [`Self::take`], less `gone`.
    pub fn put_back(&mut self, topic: &[u8], mut set: HashSet<ConnId>, gone: &[ConnId]) {
        for id in gone {
            set.remove(id);
        }
        if set.is_empty() {
            self.map.remove(topic);
        } else if let Some(slot) = self.map.get_mut(topic) {
            // Subscriptions made during the fan-out (none today: it runs to completion) are kept.
            slot.extend(set);
        }
    }

    /// Subscribers of `topic`.
    pub fn count(&self, topic: &[u8]) -> usize {
        self.map.get(topic).map_or(0, HashSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: ConnId = ConnId { index: 1, gen: 1 };
    const B: ConnId = ConnId { index: 2, gen: 1 };

    #[test]
    fn subscriptions_are_a_set_per_topic_and_empty_topics_go_away() {
        let mut t = Topics::default();
        t.subscribe(b"news", A);
        t.subscribe(b"news", A);
        t.subscribe(b"news", B);
        assert_eq!(t.count(b"news"), 2);
        t.unsubscribe(b"news", A);
        assert_eq!(t.count(b"news"), 1);
        let set = t.take(b"news").unwrap();
        t.put_back(b"news", set, &[B]);
        assert_eq!(t.count(b"news"), 0);
        assert!(t.take(b"news").is_none());
    }
}
