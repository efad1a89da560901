//! The call stack of every event, recorded as the engine runs: each modelled kernel
//! function reports its entry and exit ([`super::traced`]), and the recorder keeps,
//! for each event, the chain of functions the engine was in when it emitted it. The
//! step panel shows that chain; nothing maps an event's kind to a made-up path.

use super::TraceSink;
use crate::event::Event;

/// One function entered: its name and the frame it was entered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Frame {
    function: &'static str,
    parent: Option<u32>,
}

/// The stacks of one run of events, compactly: a tree of frames (a frame per
/// entry) and, for each event, the innermost frame it was emitted in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stacks {
    frames: Vec<Frame>,
    /// For event `i`, the innermost frame open when it was emitted.
    at: Vec<Option<u32>>,
    /// The first function entered (the call's entry point), if any.
    root: Option<&'static str>,
    /// Whether every entry had its exit and no exit came without an entry.
    balanced: bool,
}

impl Stacks {
    /// The functions on the stack when event `index` was emitted, outermost first
    /// (empty for an event emitted outside every modelled function, or no such event).
    pub fn stack(&self, index: usize) -> Vec<&'static str> {
        let mut chain = Vec::new();
        let mut frame = self.at.get(index).copied().flatten();
        while let Some(i) = frame {
            let Some(f) = self.frames.get(i as usize) else {
                break;
            };
            chain.push(f.function);
            frame = f.parent;
        }
        chain.reverse();
        chain
    }

    /// The frames open when event `index` was emitted, outermost first, as indexes
    /// (one per entry, so two calls of one function have different indexes).
    pub fn frame_ids(&self, index: usize) -> Vec<u32> {
        let mut chain = Vec::new();
        let mut frame = self.at.get(index).copied().flatten();
        while let Some(i) = frame {
            chain.push(i);
            frame = self.frames.get(i as usize).and_then(|f| f.parent);
        }
        chain.reverse();
        chain
    }

    /// The outermost function the call entered first (its entry point).
    pub fn root(&self) -> Option<&'static str> {
        self.root
    }

    /// Whether the entries and exits nested properly and all were closed.
    pub fn balanced(&self) -> bool {
        self.balanced
    }

    /// How many events the stacks are for.
    pub fn len(&self) -> usize {
        self.at.len()
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.at.is_empty()
    }
}

/// A sink that keeps every event and the stack it was emitted in.
#[derive(Clone, Debug, Default)]
pub struct StackRecorder {
    pub events: Vec<Event>,
    stacks: Stacks,
    current: Option<u32>,
    /// Set once an exit comes with no function open.
    unbalanced: bool,
}

impl StackRecorder {
    /// The events and their stacks, once the call has returned.
    pub fn finish(self) -> (Vec<Event>, Stacks) {
        let mut stacks = self.stacks;
        stacks.balanced = !self.unbalanced && self.current.is_none();
        (self.events, stacks)
    }
}

impl TraceSink for StackRecorder {
    fn emit(&mut self, event: Event) {
        self.events.push(event);
        self.stacks.at.push(self.current);
    }

    fn enter(&mut self, function: &'static str) {
        if self.stacks.root.is_none() {
            self.stacks.root = Some(function);
        }
        let index = u32::try_from(self.stacks.frames.len()).unwrap_or(u32::MAX);
        self.stacks.frames.push(Frame {
            function,
            parent: self.current,
        });
        self.current = Some(index);
    }

    fn leave(&mut self) {
        match self
            .current
            .and_then(|i| self.stacks.frames.get(i as usize))
        {
            Some(frame) => self.current = frame.parent,
            None => self.unbalanced = true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buddy::traced;

    #[test]
    fn an_event_gets_the_stack_it_was_emitted_in() {
        let mut recorder = StackRecorder::default();
        traced(&mut recorder, "outer", |t| {
            t.emit(Event::NoFragmentRetry);
            traced(t, "inner", |t| t.emit(Event::ZonelistsRebuilt));
            t.emit(Event::NoFragmentRetry);
        });
        recorder.emit(Event::ZonelistsRebuilt);
        let (events, stacks) = recorder.finish();
        assert_eq!(events.len(), 4);
        assert_eq!(stacks.stack(0), ["outer"]);
        assert_eq!(stacks.stack(1), ["outer", "inner"]);
        assert_eq!(stacks.stack(2), ["outer"]);
        assert!(stacks.stack(3).is_empty());
        assert_eq!(stacks.root(), Some("outer"));
        assert!(stacks.balanced());
    }

    #[test]
    fn an_exit_without_an_entry_is_unbalanced() {
        let mut recorder = StackRecorder::default();
        recorder.enter("f");
        recorder.leave();
        recorder.leave();
        assert!(!recorder.finish().1.balanced());
        let mut open = StackRecorder::default();
        open.enter("f");
        assert!(!open.finish().1.balanced());
    }
}
