//! `events.txt`: the tracepoint events the kernel emitted during each op.

use core::fmt::Write as _;

use super::allocs::parse_o_line;
use super::fields::{hex_u64, mt_token, shown, Cursor, Fields};
use super::{mt_letter, AllocRecord, FormatError};
use crate::types::MigrateType;

/// One tracepoint event of `events.txt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    /// `e alloc PFN ORDER MT GFP`: mm_page_alloc (MT = ac.migratetype).
    Alloc {
        pfn: u64,
        order: u32,
        mt: MigrateType,
        gfp: u32,
    },
    /// `e free PFN ORDER`: mm_page_free.
    Free { pfn: u64, order: u32 },
    /// `e buddy PFN ORDER MT PCP`: mm_page_alloc_zone_locked.
    Buddy {
        pfn: u64,
        order: u32,
        mt: MigrateType,
        pcp: bool,
    },
    /// `e drain PFN ORDER MT`: mm_page_pcpu_drain (MT = the cached type).
    Drain {
        pfn: u64,
        order: u32,
        mt: MigrateType,
    },
    /// `e steal PFN AORDER FORDER AMT FMT OWN`: mm_page_alloc_extfrag.
    Steal {
        pfn: u64,
        alloc_order: u32,
        fallback_order: u32,
        alloc_mt: MigrateType,
        fallback_mt: MigrateType,
        owner_changed: bool,
    },
}

/// One line of `events.txt`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventRecord {
    /// `o I CANONICAL-OP`; `text` verbatim.
    Op {
        index: usize,
        text: String,
    },
    Event(KernelEvent),
}

/// Writes records exactly in the `events.txt` format.
pub fn write_events(records: &[EventRecord]) -> String {
    let mut out = String::new();
    for record in records {
        match record {
            EventRecord::Op { index, text } => {
                let _ = writeln!(out, "o {index} {text}");
            }
            EventRecord::Event(event) => {
                out.push_str(&event_line(event));
                out.push('\n');
            }
        }
    }
    out
}

/// Parses `events.txt` (`o` and `e` records).
pub fn parse_events(text: &str) -> Result<Vec<EventRecord>, FormatError> {
    let mut records = Vec::new();
    let mut cur = Cursor::new(text);
    while let Some((ln, line)) = cur.next() {
        let mut f = Fields::new(ln, line);
        let record = match f.record {
            "o" => match parse_o_line(&mut f, line)? {
                AllocRecord::Op { index, text } => EventRecord::Op { index, text },
                _ => return Err(f.err("expected an `o` line")),
            },
            "e" => EventRecord::Event(parse_e_line(&mut f)?),
            other => {
                return Err(f.err(format!(
                    "unknown record `{}` (events.txt holds o and e lines)",
                    shown(other)
                )))
            }
        };
        records.push(record);
    }
    Ok(records)
}

fn parse_e_line(f: &mut Fields<'_>) -> Result<KernelEvent, FormatError> {
    let kind = f.token("the event name")?;
    let event = match kind {
        "alloc" => {
            let (pfn, order, mt) = (f.u64("the pfn")?, f.u32("the order")?, event_mt(f)?);
            let tok = f.token("the gfp mask")?;
            let gfp = hex_u64(tok)
                .and_then(|g| u32::try_from(g).ok())
                .ok_or_else(|| f.expected("the gfp mask (0x...)", tok))?;
            KernelEvent::Alloc {
                pfn,
                order,
                mt,
                gfp,
            }
        }
        "free" => KernelEvent::Free {
            pfn: f.u64("the pfn")?,
            order: f.u32("the order")?,
        },
        "buddy" => KernelEvent::Buddy {
            pfn: f.u64("the pfn")?,
            order: f.u32("the order")?,
            mt: event_mt(f)?,
            pcp: flag(f, "PCP")?,
        },
        "drain" => KernelEvent::Drain {
            pfn: f.u64("the pfn")?,
            order: f.u32("the order")?,
            mt: event_mt(f)?,
        },
        "steal" => KernelEvent::Steal {
            pfn: f.u64("the pfn")?,
            alloc_order: f.u32("the allocation order")?,
            fallback_order: f.u32("the fallback order")?,
            alloc_mt: event_mt(f)?,
            fallback_mt: event_mt(f)?,
            owner_changed: flag(f, "OWN")?,
        },
        other => return Err(f.expected("an event name (alloc, free, buddy, drain, steal)", other)),
    };
    f.end()?;
    Ok(event)
}

fn event_mt(f: &mut Fields<'_>) -> Result<MigrateType, FormatError> {
    let tok = f.token("a migratetype letter")?;
    mt_token(tok).ok_or_else(|| f.expected("a migratetype letter (U M R H I)", tok))
}

fn flag(f: &mut Fields<'_>, what: &str) -> Result<bool, FormatError> {
    match f.token(what)? {
        "0" => Ok(false),
        "1" => Ok(true),
        other => Err(f.expected(&format!("{what} 0 or 1"), other)),
    }
}

fn event_line(event: &KernelEvent) -> String {
    match *event {
        KernelEvent::Alloc {
            pfn,
            order,
            mt,
            gfp,
        } => {
            format!("e alloc {pfn} {order} {} {gfp:#x}", mt_letter(mt))
        }
        KernelEvent::Free { pfn, order } => format!("e free {pfn} {order}"),
        KernelEvent::Buddy {
            pfn,
            order,
            mt,
            pcp,
        } => format!("e buddy {pfn} {order} {} {}", mt_letter(mt), u8::from(pcp)),
        KernelEvent::Drain { pfn, order, mt } => {
            format!("e drain {pfn} {order} {}", mt_letter(mt))
        }
        KernelEvent::Steal {
            pfn,
            alloc_order,
            fallback_order,
            alloc_mt,
            fallback_mt,
            owner_changed,
        } => format!(
            "e steal {pfn} {alloc_order} {fallback_order} {} {} {}",
            mt_letter(alloc_mt),
            mt_letter(fallback_mt),
            u8::from(owner_changed)
        ),
    }
}
