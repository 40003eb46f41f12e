//! Attachments seen without downloading them: image thumbnails made by Facteur (a hostile
//! image is decoded here, within limits, and only our own re-encoded pixels reach the
//! browser), and every attachment in one zip.

use std::io::Write;

use image::ImageReader;

/// Thumbnails fit in this box (twice the size shown, for sharp screens).
const THUMB_W: u32 = 320;
const THUMB_H: u32 = 240;
/// Images larger than this are not decoded for a thumbnail.
const MAX_PIXELS_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 96 * 1024 * 1024;
/// Thumbnails decoded at once (the rest wait): each may take up to [`MAX_DECODE_BYTES`].
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// [`thumbnail`], off the async threads, two at a time.
pub async fn thumbnail_of(bytes: Vec<u8>) -> Option<Vec<u8>> {
    let _turn = DECODING.acquire().await.ok()?;
    tokio::task::spawn_blocking(move || thumbnail(&bytes)).await.ok().flatten()
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
    let img = reader.decode().ok()?;
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
}
