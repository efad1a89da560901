//! Puts the engine's address-space pixels on a canvas: one `putImageData` of the
//! RGBA buffer `buddyscope_engine::view::render_rgba` built, so a redraw costs one
//! pass over the visible pages and one copy, whatever the zoom; after a step, only
//! the pixel lines `view::redraw_rgba` repainted.

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// The 2D context of a canvas element, if the browser gives one.
pub fn context_2d(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// Draws `rgba` (`width` pixels wide) on `canvas`, resizing it to fit. Returns
/// false if the browser refused (no 2D context, a size mismatch).
pub fn put_rgba(canvas: &HtmlCanvasElement, rgba: &[u8], width: u32) -> bool {
    if width == 0 || rgba.len() % (4 * width as usize) != 0 {
        return false;
    }
    let height = (rgba.len() / (4 * width as usize)) as u32;
    if canvas.width() != width {
        canvas.set_width(width);
    }
    if canvas.height() != height {
        canvas.set_height(height);
    }
    let Some(ctx) = context_2d(canvas) else {
        return false;
    };
    match ImageData::new_with_u8_clamped_array_and_sh(Clamped(rgba), width, height) {
        Ok(image) => ctx.put_image_data(&image, 0.0, 0.0).is_ok(),
        Err(_) => false,
    }
}

/// Puts pixel lines `lines` of `rgba` (`width` pixels wide, the canvas's size) on
/// `canvas`, a `putImageData` a range. Returns false if the browser refused or the
/// buffer is not the canvas's size.
pub fn put_rgba_lines(
    canvas: &HtmlCanvasElement,
    rgba: &[u8],
    width: u32,
    lines: &[std::ops::Range<u32>],
) -> bool {
    let row_bytes = 4 * width as usize;
    if width == 0 || canvas.width() != width || rgba.len() != row_bytes * canvas.height() as usize {
        return false;
    }
    let Some(ctx) = context_2d(canvas) else {
        return false;
    };
    lines.iter().filter(|r| r.start < r.end).all(|range| {
        let bytes = range.start as usize * row_bytes..range.end as usize * row_bytes;
        let Some(part) = rgba.get(bytes) else {
            return false;
        };
        match ImageData::new_with_u8_clamped_array_and_sh(
            Clamped(part),
            width,
            range.end - range.start,
        ) {
            Ok(image) => ctx
                .put_image_data(&image, 0.0, f64::from(range.start))
                .is_ok(),
            Err(_) => false,
        }
    })
}

/// Milliseconds since the page started (`performance.now()`), 0 without a clock.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}
