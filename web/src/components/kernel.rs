//! The kernel badge beside the scenario's title ("Linux 6.1" / "Linux 6.12") and the
//! switch that re-runs the scenario on the other kernel (its `[machine] kernel`,
//! which the share link carries). While the model of 6.12 is partial, its warning
//! stays under the title.

use buddyscope_engine::types::Kernel;
use yew::prelude::*;

use crate::tags::text;

use crate::state::{on_click, Action};

pub struct KernelBadgeProps {
    pub kernel: Kernel,
    /// An embedded page shows the badge without the switch.
    pub embed: bool,
    pub on_action: Callback<Action>,
}

/// The kernel the switch moves to.
fn other(kernel: Kernel) -> Kernel {
    match kernel {
        Kernel::V6_1 => Kernel::V6_12,
        Kernel::V6_12 => Kernel::V6_1,
    }
}

pub fn kernel_badge(props: &KernelBadgeProps) -> Html {
    let to = other(props.kernel);
    let on_switch = on_click(&props.on_action, Action::SetKernel(to));
    let class = classes!(
        "kernel-badge",
        (props.kernel == Kernel::V6_12).then_some("newer")
    );
    html! {
        <>
            <span class={class} id="kernel-badge" title="The kernel whose rules this machine follows ([machine] kernel)">
                { format!("Linux {}", props.kernel) }
            </span>
            if !props.embed {
                <button type="button" class="kernel-switch" id="kernel-switch" onclick={on_switch}
                    title={format!("Re-run this scenario, same seed and workload, on Linux {to}")}>
                    { format!("Run on Linux {to}") }
                </button>
            }
        </>
    }
}

pub struct KernelNoteProps {
    pub kernel: Kernel,
}

/// The partial-model warning of the scenario's kernel, if it has one.
pub fn kernel_note(props: &KernelNoteProps) -> Html {
    match props.kernel.partial_model_note() {
        Some(note) => {
            html! { { text("p", crate::attrs!("id" = "kernel-note", "role" = "note", "class" = "kernel-note"), note.to_string().into()) } }
        }
        None => html! {},
    }
}
