//! The page's machine editor as strings, as the user typed them. Applying the form
//! writes a scenario file and reads it back through the scenario parser, so every
//! check and every message is the engine's and the form has no rules of its own.

use serde::Serialize;

use crate::machine::format_core_size;
use crate::scenario::{parse_scenario, scenario_to_toml, Scenario};
use crate::text::{format_cpulist, format_phys_range};

/// The machine editor's fields, as the user typed them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MachineForm {
    /// Per node: memory ranges (comma or newline separated, scenario syntax) and cpus.
    pub nodes: Vec<(String, String)>,
    pub section_size_bits: String,
    /// The SLIT as text cells; empty means no SLIT.
    pub distances: Vec<Vec<String>>,
    pub kernelcore: String,
    pub movablecore: String,
    pub thp: String,
    pub min_free_kbytes: String,
    pub watermark_scale_factor: String,
    pub watermark_boost_factor: String,
    pub lowmem_reserve_ratio: String,
    pub percpu_pagelist_high_fraction: String,
}

impl MachineForm {
    /// The fields of a scenario's machine.
    pub fn from_scenario(scenario: &Scenario) -> MachineForm {
        let m = &scenario.machine;
        MachineForm {
            nodes: m
                .nodes
                .iter()
                .map(|n| {
                    let memory: Vec<String> =
                        n.memory.iter().map(|r| format_phys_range(*r)).collect();
                    (memory.join(", "), format_cpulist(&n.cpus))
                })
                .collect(),
            section_size_bits: m.section_size_bits.to_string(),
            distances: m
                .distances
                .as_ref()
                .map(|d| {
                    d.iter()
                        .map(|row| row.iter().map(u32::to_string).collect())
                        .collect()
                })
                .unwrap_or_default(),
            kernelcore: m.kernelcore.map(format_core_size).unwrap_or_default(),
            movablecore: m.movablecore.map(format_core_size).unwrap_or_default(),
            thp: m.thp.name().to_string(),
            min_free_kbytes: m
                .sysctls
                .min_free_kbytes
                .map(|k| k.to_string())
                .unwrap_or_default(),
            watermark_scale_factor: m.sysctls.watermark_scale_factor.to_string(),
            watermark_boost_factor: m.sysctls.watermark_boost_factor.to_string(),
            lowmem_reserve_ratio: m
                .sysctls
                .lowmem_reserve_ratio
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(" "),
            percpu_pagelist_high_fraction: m.sysctls.percpu_pagelist_high_fraction.to_string(),
        }
    }

    /// A distance table for `nodes` nodes: this form's cells where present, else
    /// 10 on the diagonal and 20 elsewhere.
    pub fn resized_distances(&self, nodes: usize) -> Vec<Vec<String>> {
        (0..nodes)
            .map(|i| {
                (0..nodes)
                    .map(|j| {
                        self.distances
                            .get(i)
                            .and_then(|row| row.get(j))
                            .cloned()
                            .unwrap_or_else(|| if i == j { "10" } else { "20" }.to_string())
                    })
                    .collect()
            })
            .collect()
    }

    /// Adds an empty node; a distance table grows to match (10 local, 20 remote).
    pub fn add_node(&mut self) {
        self.nodes.push((String::new(), String::new()));
        if !self.distances.is_empty() {
            self.distances = self.resized_distances(self.nodes.len());
        }
    }

    /// Removes node `index` and its row and column of the distance table; the last
    /// node stays.
    pub fn remove_node(&mut self, index: usize) {
        if self.nodes.len() <= 1 || index >= self.nodes.len() {
            return;
        }
        self.nodes.remove(index);
        if index < self.distances.len() {
            self.distances.remove(index);
        }
        for row in &mut self.distances {
            if index < row.len() {
                row.remove(index);
            }
        }
    }

    /// Gives the machine a distance table (a SLIT), 10 local and 20 remote where
    /// no cell was typed.
    pub fn add_distance_table(&mut self) {
        self.distances = self.resized_distances(self.nodes.len());
    }

    /// Drops the distance table: the machine has no SLIT.
    pub fn remove_distance_table(&mut self) {
        self.distances.clear();
    }

    /// Sets the distance from node `from` to node `to`, giving the machine a table
    /// sized to its nodes first.
    pub fn set_distance(&mut self, from: usize, to: usize, value: String) {
        self.add_distance_table();
        if let Some(cell) = self.distances.get_mut(from).and_then(|r| r.get_mut(to)) {
            *cell = value;
        }
    }

    /// `base` with this machine, checked by the scenario parser: an error names the
    /// field as the scenario file would.
    pub fn apply(&self, base: &Scenario) -> Result<Scenario, String> {
        let text = scenario_to_toml(base);
        let mut doc = crate::scenario::parse_table(&text)?;
        let mut machine = toml::Table::new();
        let number = |field: &str, text: &str| -> Result<toml::Value, String> {
            text.trim()
                .parse::<i64>()
                .map(toml::Value::Integer)
                .map_err(|_| format!("{field}: `{}` is not a whole number", text.trim()))
        };
        machine.insert(
            "section_size_bits".into(),
            number("section size bits", &self.section_size_bits)?,
        );
        machine.insert(
            "thp".into(),
            toml::Value::String(self.thp.trim().to_string()),
        );
        for (key, value) in [
            ("kernelcore", &self.kernelcore),
            ("movablecore", &self.movablecore),
        ] {
            if !value.trim().is_empty() {
                machine.insert(key.into(), toml::Value::String(value.trim().to_string()));
            }
        }
        if !self.distances.is_empty() {
            let mut rows = Vec::new();
            for (i, row) in self.distances.iter().enumerate() {
                let mut cells = Vec::new();
                for (j, cell) in row.iter().enumerate() {
                    cells.push(number(
                        &format!("distance from node {i} to node {j}"),
                        cell,
                    )?);
                }
                rows.push(toml::Value::Array(cells));
            }
            machine.insert("distances".into(), toml::Value::Array(rows));
        }
        let mut nodes = Vec::new();
        for (memory, cpus) in &self.nodes {
            let mut node = toml::Table::new();
            let ranges = memory
                .split([',', '\n'])
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| toml::Value::String(r.to_string()))
                .collect();
            node.insert("memory".into(), toml::Value::Array(ranges));
            node.insert("cpus".into(), toml::Value::String(cpus.trim().to_string()));
            nodes.push(toml::Value::Table(node));
        }
        machine.insert("nodes".into(), toml::Value::Array(nodes));
        let mut sysctl = toml::Table::new();
        if !self.min_free_kbytes.trim().is_empty() {
            sysctl.insert(
                "min_free_kbytes".into(),
                number("min_free_kbytes", &self.min_free_kbytes)?,
            );
        }
        sysctl.insert(
            "watermark_scale_factor".into(),
            number("watermark_scale_factor", &self.watermark_scale_factor)?,
        );
        sysctl.insert(
            "watermark_boost_factor".into(),
            number("watermark_boost_factor", &self.watermark_boost_factor)?,
        );
        sysctl.insert(
            "percpu_pagelist_high_fraction".into(),
            number(
                "percpu_pagelist_high_fraction",
                &self.percpu_pagelist_high_fraction,
            )?,
        );
        let ratios = self
            .lowmem_reserve_ratio
            .split([',', ' '])
            .filter(|s| !s.trim().is_empty())
            .map(|s| number("lowmem_reserve_ratio", s))
            .collect::<Result<Vec<_>, _>>()?;
        sysctl.insert("lowmem_reserve_ratio".into(), toml::Value::Array(ratios));
        machine.insert("sysctl".into(), toml::Value::Table(sysctl));
        // Keep what the form does not edit (reserved ranges, imported managed counts, CMA).
        if let Some(toml::Value::Table(old)) = doc.get("machine") {
            for key in ["reserved", "managed", "cma"] {
                if let Some(value) = old.get(key) {
                    machine.insert(key.into(), value.clone());
                }
            }
        }
        doc.insert("machine".into(), toml::Value::Table(machine));
        parse_scenario(&crate::scenario::toml_text::table_text(&doc)).map_err(|e| e.to_string())
    }
}
