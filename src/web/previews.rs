//! Attachments seen without downloading them: image thumbnails and PDF pages drawn by
//! Facteur (a hostile image or PDF is decoded here, by memory-safe code within limits, and
//! only our own re-encoded pixels reach the browser), and every attachment in one zip.

use std::io::Write;
use std::time::Duration;

use image::ImageReader;

/// Thumbnails fit in this box (twice the size shown, for sharp screens).
const THUMB_W: u32 = 320;
const THUMB_H: u32 = 240;
/// Images larger than this are not decoded for a thumbnail.
const MAX_PIXELS_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 96 * 1024 * 1024;
/// Images and pages decoded at once (the rest wait): each may take up to [`MAX_DECODE_BYTES`].
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);
/// A drawing that takes longer is given up (its thread ends on its own, without its turn,
/// so that one hostile file cannot hold every preview up).
const DRAW_TIMEOUT: Duration = Duration::from_secs(10);

/// PDF pages shown in the browser; longer documents show their first pages and a download.
pub const PDF_MAX_PAGES: usize = 50;
/// A PDF page is drawn this wide (for a 600 px column on a sharp screen)...
const PAGE_WIDTH: f32 = 1200.0;
/// ...in at most this many pixels, and neither side longer than [`MAX_PIXELS_SIDE`].
const PAGE_MAX_PIXELS: f32 = 6_000_000.0;
/// PDFs larger than this are not drawn.
pub const PDF_MAX_BYTES: usize = 40 * 1024 * 1024;

/// `work` off the async threads, two at a time, given up after [`DRAW_TIMEOUT`]; a panic in
/// it is `None` too.
async fn draw<T: Send + 'static>(work: impl FnOnce() -> Option<T> + Send + 'static) -> Option<T> {
    let _turn = DECODING.acquire().await.ok()?;
    tokio::time::timeout(DRAW_TIMEOUT, tokio::task::spawn_blocking(work)).await.ok()?.ok().flatten()
}

/// [`thumbnail`] (or [`pdf_thumbnail`] for a PDF), off the async threads.
pub async fn thumbnail_of(bytes: Vec<u8>, pdf: bool) -> Option<Vec<u8>> {
    draw(move || if pdf { pdf_thumbnail(&bytes) } else { thumbnail(&bytes) }).await
}

/// Whether `bytes` are a PDF that Facteur draws in the browser: said to be one, starting as
/// one does, and not too large.
pub fn is_pdf(content_type: &str, bytes: &[u8]) -> bool {
    content_type == "application/pdf" && bytes.len() <= PDF_MAX_BYTES && bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-")
}

/// The size in pixels each page of a PDF is drawn at, first [`PDF_MAX_PAGES`] pages, and the
/// number of pages; `None` for a PDF Facteur cannot read (damaged, encrypted).
pub async fn pdf_pages(bytes: Vec<u8>) -> Option<(Vec<(u32, u32)>, usize)> {
    draw(move || {
        let pdf = hayro::hayro_syntax::Pdf::new(bytes).ok()?;
        let pages = pdf.pages();
        let sizes = pages.iter().take(PDF_MAX_PAGES).map(|p| page_scale(p.render_dimensions(), PAGE_WIDTH).map(|(_, w, h)| (w, h)).unwrap_or((PAGE_WIDTH as u32, PAGE_WIDTH as u32))).collect();
        Some((sizes, pages.len()))
    })
    .await
}

/// Page `index` (from 0) of a PDF, drawn as a PNG, off the async threads.
pub async fn pdf_page_png(bytes: Vec<u8>, index: usize) -> Option<Vec<u8>> {
    draw(move || {
        let img = pdf_page(&bytes, index, PAGE_WIDTH)?;
        let mut out = Vec::new();
        image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png).ok()?;
        Some(out)
    })
    .await
}

/// The scale that draws a page of `(w, h)` points `width` pixels wide within the limits, and
/// the size it gives; `None` for a page of no size.
fn page_scale((w, h): (f32, f32), width: f32) -> Option<(f32, u32, u32)> {
    if !(w.is_finite() && h.is_finite() && w >= 1.0 && h >= 1.0) {
        return None;
    }
    let side = MAX_PIXELS_SIDE as f32;
    let scale = (width / w).min((PAGE_MAX_PIXELS / (w * h)).sqrt()).min(side / w).min(side / h);
    let (pw, ph) = ((w * scale) as u32, (h * scale) as u32);
    (pw >= 1 && ph >= 1).then_some((scale, pw, ph))
}

/// Page `index` of the PDF `bytes`, drawn `width` pixels wide on white (within
/// [`PAGE_MAX_PIXELS`]). CPU-bound: run it off the async threads.
pub fn pdf_page(bytes: &[u8], index: usize, width: f32) -> Option<image::RgbaImage> {
    let pdf = hayro::hayro_syntax::Pdf::new(bytes.to_vec()).ok()?;
    let page = pdf.pages().get(index)?;
    let (scale, _, _) = page_scale(page.render_dimensions(), width)?;
    let cache = hayro::RenderCache::new();
    let pixmap = hayro::render(
        page,
        &cache,
        &Default::default(),
        &Default::default(),
        &hayro::PixmapSettings { x_scale: scale, y_scale: scale, bg_color: hayro::vello_cpu::color::palette::css::WHITE },
    );
    let (w, h) = (u32::from(pixmap.width()), u32::from(pixmap.height()));
    image::RgbaImage::from_raw(w, h, pixmap.data_as_u8_slice().to_vec())
}

/// A JPEG thumbnail of a PDF's first page.
pub fn pdf_thumbnail(bytes: &[u8]) -> Option<Vec<u8>> {
    let page = pdf_page(bytes, 0, THUMB_W as f32)?;
    small_jpeg(image::DynamicImage::ImageRgba8(page))
}

/// The image types a thumbnail is made of (and that are shown inline).
pub fn previewable(content_type: &str) -> bool {
    matches!(content_type, "image/png" | "image/jpeg" | "image/gif" | "image/webp")
}

/// Whether `bytes` start as an image of `content_type` does (by their magic numbers).
pub fn is_image_of_type(bytes: &[u8], content_type: &str) -> bool {
    let format = match image::guess_format(bytes) {
        Ok(f) => f,
        Err(_) => return false,
    };
    matches!(
        (format, content_type),
        (image::ImageFormat::Png, "image/png") | (image::ImageFormat::Jpeg, "image/jpeg") | (image::ImageFormat::Gif, "image/gif") | (image::ImageFormat::WebP, "image/webp")
    )
}

/// A JPEG thumbnail of the image `bytes`, flattened on white; `None` when it is not an image
/// Facteur reads, or is damaged, or too large. CPU-bound: run it off the async threads.
pub fn thumbnail(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = ImageReader::new(std::io::Cursor::new(bytes)).with_guessed_format().ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PIXELS_SIDE);
    limits.max_image_height = Some(MAX_PIXELS_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    small_jpeg(reader.decode().ok()?)
}

/// `img` fitted in the thumbnail box, flattened on white, as a JPEG.
fn small_jpeg(img: image::DynamicImage) -> Option<Vec<u8>> {
    let small = img.thumbnail(THUMB_W, THUMB_H).to_rgba8();
    let mut flat = image::RgbImage::new(small.width(), small.height());
    for (x, y, p) in small.enumerate_pixels() {
        let a = u16::from(p[3]);
        let blend = |c: u8| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8;
        flat.put_pixel(x, y, image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])]));
    }
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&flat).ok()?;
    Some(out)
}

/// A name that is safe as a file inside a zip: no folders, no climbing out, no control
/// characters; `fallback` when nothing is left.
fn entry_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name.chars().map(|c| if c.is_control() || matches!(c, '/' | '\\' | ':') { '_' } else { c }).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() { fallback.to_string() } else { cleaned }
}

/// Every `(name, bytes)` in one zip, each name once (`report (2).pdf` for a second
/// `report.pdf`). Compressed files (images, archives, PDFs) are stored as they are.
pub fn zip_all(files: Vec<(String, Vec<u8>)>) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let mut used: Vec<String> = Vec::new();
    for (i, (name, bytes)) in files.into_iter().enumerate() {
        let base = entry_name(&name, &format!("attachment-{}", i + 1));
        let mut chosen = base.clone();
        let mut n = 2;
        while used.iter().any(|u| u.eq_ignore_ascii_case(&chosen)) {
            chosen = match base.rsplit_once('.') {
                Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
                _ => format!("{base} ({n})"),
            };
            n += 1;
        }
        let packed = chosen.rsplit_once('.').is_some_and(|(_, ext)| {
            matches!(ext.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png" | "gif" | "webp" | "zip" | "gz" | "7z" | "pdf" | "docx" | "xlsx" | "pptx" | "mp3" | "mp4")
        });
        let method = if packed { zip::CompressionMethod::Stored } else { zip::CompressionMethod::Deflated };
        let options = zip::write::SimpleFileOptions::default().compression_method(method).large_file(bytes.len() >= u32::MAX as usize);
        zip.start_file(chosen.as_str(), options).map_err(std::io::Error::other)?;
        zip.write_all(&bytes)?;
        used.push(chosen);
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_a_zip_stay_inside_it_and_are_each_used_once() {
        let files = vec![
            ("report.pdf".to_string(), b"one".to_vec()),
            ("../../etc/passwd".to_string(), b"two".to_vec()),
            ("REPORT.pdf".to_string(), b"three".to_vec()),
            ("".to_string(), b"four".to_vec()),
            ("C:\\evil\\x.txt".to_string(), b"five".to_vec()),
        ];
        let bytes = zip_all(files).unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(names, ["report.pdf", "_.._etc_passwd", "REPORT (2).pdf", "attachment-4", "C__evil_x.txt"]);
        let mut text = String::new();
        std::io::Read::read_to_string(&mut archive.by_name("REPORT (2).pdf").unwrap(), &mut text).unwrap();
        assert_eq!(text, "three");
    }

    #[test]
    fn thumbnails_are_small_jpegs_and_bad_images_are_none() {
        let mut png = Vec::new();
        let img = image::RgbaImage::from_fn(1200, 900, |x, y| image::Rgba([(x % 256) as u8, (y % 256) as u8, 90, if x < 600 { 255 } else { 0 }]));
        image::DynamicImage::ImageRgba8(img).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png).unwrap();
        let thumb = thumbnail(&png).expect("a thumbnail");
        let back = image::load_from_memory(&thumb).unwrap();
        assert_eq!((back.width(), back.height()), (320, 240));
        assert_eq!(image::guess_format(&thumb).unwrap(), image::ImageFormat::Jpeg);
        // The transparent half is white.
        let p = back.to_rgb8().get_pixel(310, 120).0;
        assert!(p.iter().all(|c| *c > 240), "{p:?}");
        assert!(thumbnail(b"not an image").is_none());
        assert!(is_image_of_type(&png, "image/png") && !is_image_of_type(&png, "image/gif"));
        assert!(!is_image_of_type(b"<html><script>alert(1)</script>", "image/png"));
        assert!(thumbnail(&png[..200]).is_none(), "a cut image");
        // A header claiming 100,000 × 100,000 pixels is refused.
        let mut huge = png.clone();
        huge[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        huge[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        assert!(thumbnail(&huge).is_none());
    }

    /// The one-page PDF of the MIME fixtures ("Rapport Facteur 2026").
    fn fixture_pdf() -> Vec<u8> {
        let eml = include_bytes!("../../tests/fixtures/attachments.eml");
        let parsed = crate::mail::mime::parse(eml);
        let a = parsed.attachments.iter().find(|a| a.content_type == "application/pdf").unwrap();
        crate::mail::mime::part(eml, a.part).unwrap().bytes
    }

    #[test]
    fn pdf_pages_are_drawn_as_our_own_pixels_and_bad_pdfs_are_none() {
        let pdf = fixture_pdf();
        assert!(is_pdf("application/pdf", &pdf));
        assert!(!is_pdf("application/pdf", b"<html><script>alert(1)</script></html>"), "not a PDF, whatever it says");
        assert!(!is_pdf("text/html", &pdf));
        let page = pdf_page(&pdf, 0, PAGE_WIDTH).expect("the first page");
        assert_eq!(page.width(), PAGE_WIDTH as u32);
        assert!(page.height() > 100, "{}x{}", page.width(), page.height());
        // Mostly white paper, with dark text on it.
        let dark = page.pixels().filter(|p| p[0] < 100 && p[1] < 100 && p[2] < 100).count();
        let white = page.pixels().filter(|p| p[0] > 240 && p[1] > 240 && p[2] > 240).count();
        assert!(dark > 200 && white > page.pixels().len() * 9 / 10, "dark {dark}, white {white}");
        assert!(pdf_page(&pdf, 1, PAGE_WIDTH).is_none(), "no second page");
        let thumb = pdf_thumbnail(&pdf).expect("a thumbnail");
        assert_eq!(image::guess_format(&thumb).unwrap(), image::ImageFormat::Jpeg);
        assert!(image::load_from_memory(&thumb).unwrap().height() <= THUMB_H);
        assert!(pdf_page(b"%PDF-1.4 nothing else", 0, PAGE_WIDTH).is_none());
        assert!(pdf_page(&pdf[..pdf.len() / 3], 0, PAGE_WIDTH).is_none_or(|p| p.width() == PAGE_WIDTH as u32), "a cut PDF is drawn as far as it goes, or not");
    }

    #[test]
    fn pages_of_any_claimed_size_stay_within_the_pixel_limits() {
        for dims in [(595.0, 842.0), (14_400.0, 14_400.0), (10.0, 20_000.0), (3.0, 3.0)] {
            let (scale, w, h) = page_scale(dims, PAGE_WIDTH).unwrap_or_else(|| panic!("{dims:?}"));
            assert!(scale > 0.0 && w <= MAX_PIXELS_SIDE && h <= MAX_PIXELS_SIDE, "{dims:?}: {w}x{h}");
            assert!((w as f32) * (h as f32) <= PAGE_MAX_PIXELS, "{dims:?}: {w}x{h}");
        }
        assert_eq!(page_scale((595.0, 842.0), PAGE_WIDTH).map(|(_, w, _)| w), Some(1200));
        for bad in [(0.0, 842.0), (f32::NAN, 1.0), (f32::INFINITY, 10.0), (-5.0, 10.0), (1.0, 200_000.0), (20_000.0, 10.0)] {
            assert!(page_scale(bad, PAGE_WIDTH).is_none(), "{bad:?}");
        }
    }
}
