//! QR codes of pass texts: written as PNG or SVG at error-correction level Q (as EU
//! certificates are) with the standard quiet zone of four modules, and read back from photos
//! (PNG or JPEG).

use std::io::Cursor;

use image::{GrayImage, ImageFormat, ImageReader, Limits, Luma};
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// Pixels per module in a PNG: a 5-minute pass of about 600 characters is a QR code of
/// version 15 or so, 77 modules plus the quiet zone, about 680 pixels wide.
pub const PNG_MODULE_PIXELS: u32 = 8;
/// The largest photo read, in pixels per side and in bytes decoded.
const MAX_PHOTO_SIDE: u32 = 8_192;
const MAX_PHOTO_BYTES: u64 = 256 * 1024 * 1024;

/// Why a QR code could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text is too long for a QR code")]
    TooLong,
    #[error("the picture is not a PNG or JPEG image this reader can open: {0}")]
    Picture(String),
    #[error("no QR code was found in the picture")]
    NotFound,
    #[error("a QR code was found but could not be read: {0}")]
    Unreadable(String),
}

fn code(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::Q).map_err(|_| QrError::TooLong)
}

/// The QR code of `text` as a PNG image.
pub fn png(text: &str) -> Result<Vec<u8>, QrError> {
    let image: GrayImage = code(text)?
        .render::<Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(PNG_MODULE_PIXELS, PNG_MODULE_PIXELS)
        .build();
    let mut bytes = Vec::new();
    image
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
        .expect("encoding a PNG into memory cannot fail");
    Ok(bytes)
}

/// The QR code of `text` as an SVG document, `size` user units wide, quiet zone included.
pub fn svg(text: &str, size: u32) -> Result<String, QrError> {
    Ok(code(text)?
        .render::<svg::Color<'_>>()
        .quiet_zone(true)
        .min_dimensions(size, size)
        .build())
}

/// The QR code of `text` as SVG path data in module units (quiet zone excluded) with its width
/// in modules, for drawing it inside a larger SVG document such as a poster.
pub fn svg_modules(text: &str) -> Result<(String, usize), QrError> {
    let code = code(text)?;
    let width = code.width();
    let mut path = String::new();
    for (index, colour) in code.to_colors().into_iter().enumerate() {
        if colour == qrcode::Color::Dark {
            let (x, y) = (index % width, index / width);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    Ok((path, width))
}

/// Reads the text of the first QR code found in a PNG or JPEG photo.
pub fn decode_image(bytes: &[u8]) -> Result<String, QrError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|error| QrError::Picture(error.to_string()))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_PHOTO_SIDE);
    limits.max_image_height = Some(MAX_PHOTO_SIDE);
    limits.max_alloc = Some(MAX_PHOTO_BYTES);
    reader.limits(limits);
    let image = reader
        .decode()
        .map_err(|error| QrError::Picture(error.to_string()))?
        .to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(
        image.width() as usize,
        image.height() as usize,
        |x, y| image.get_pixel(x as u32, y as u32)[0],
    );
    let grids = prepared.detect_grids();
    let grid = grids.first().ok_or(QrError::NotFound)?;
    let (_, text) = grid
        .decode()
        .map_err(|error| QrError::Unreadable(error.to_string()))?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_png_reads_back_as_its_text() {
        let text = "HCODE1:NCFOXN%TS3DH0RGPJB/IB-OM7533";
        assert_eq!(decode_image(&png(text).unwrap()).unwrap(), text);
    }

    #[test]
    fn an_svg_is_a_square_document_with_its_quiet_zone() {
        let svg = svg("HCODE1:ABC", 200).unwrap();
        assert!(svg.starts_with("<?xml"));
        assert!(svg.contains("<svg"));
        let (path, width) = svg_modules("HCODE1:ABC").unwrap();
        assert_eq!(width, 21);
        assert!(path.starts_with("M0 0h1v1h-1z"));
    }

    #[test]
    fn pictures_without_a_readable_code_say_why() {
        assert!(matches!(
            decode_image(b"not a picture"),
            Err(QrError::Picture(_))
        ));
        let blank = GrayImage::from_pixel(64, 64, Luma([255]));
        let mut bytes = Vec::new();
        blank
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        assert!(matches!(decode_image(&bytes), Err(QrError::NotFound)));
    }
}
