//! The kernel's zone types (`enum zone_type`), shared by every layer above.

/// `MAX_NR_ZONES` on Debian's 6.1 x86_64 kernel: DMA, DMA32, Normal, Movable, Device.
pub const MAX_NR_ZONES: usize = 5;

/// A zone type, in the kernel's `enum zone_type` order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ZoneType {
    Dma = 0,
    Dma32 = 1,
    Normal = 2,
    Movable = 3,
    Device = 4,
}

impl ZoneType {
    /// All zone types, lowest first.
    pub const ALL: [ZoneType; MAX_NR_ZONES] = [
        ZoneType::Dma,
        ZoneType::Dma32,
        ZoneType::Normal,
        ZoneType::Movable,
        ZoneType::Device,
    ];

    /// The kernel's `zone_names[]` entry.
    pub fn name(self) -> &'static str {
        match self {
            ZoneType::Dma => "DMA",
            ZoneType::Dma32 => "DMA32",
            ZoneType::Normal => "Normal",
            ZoneType::Movable => "Movable",
            ZoneType::Device => "Device",
        }
    }

    /// Parses a kernel zone name ("DMA", "DMA32", "Normal", "Movable", "Device").
    pub fn from_name(name: &str) -> Option<ZoneType> {
        ZoneType::ALL.into_iter().find(|zone| zone.name() == name)
    }

    /// Index into per-zone arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}
