//! Avatars the players upload (头像昵称填写): accepted by content, never by name — a PNG, JPEG or WebP image
//! that decodes, at most [`MAX_AVATAR_PIXELS`] on either side — turned upright (EXIF orientation), cropped to
//! a centred square, laid on white where it is transparent, and re-encoded as a [`SIDE`] × [`SIDE`] JPEG that
//! carries no metadata. The JPEG is named by its SHA-256, so one image is stored once however often it comes.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};
use tmsdk_core::MAX_AVATAR_PIXELS;

/// The side of a stored avatar, in pixels (WeChat's own avatars are 132 and 640; games show them small).
pub const SIDE: u32 = 256;
/// The JPEG quality of a stored avatar.
const QUALITY: u8 = 85;
/// The most memory one decode may take: a 4096 × 4096 RGBA image and some room.
const MAX_DECODE_BYTES: u64 = 80 * 1024 * 1024;

/// An avatar ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Avatar {
    /// The SHA-256 of [`Avatar::jpeg`], lowercase hex: its name.
    pub sha256: String,
    /// The 256 × 256 JPEG.
    pub jpeg: Vec<u8>,
}

/// Checks an upload and makes it an [`Avatar`]; `Err` says, for the player's developer, why it is not one.
pub fn normalise(upload: &[u8]) -> Result<Avatar, String> {
    let format = image::guess_format(upload)
        .ok()
        .filter(|f| matches!(f, ImageFormat::Png | ImageFormat::Jpeg | ImageFormat::WebP))
        .ok_or("the file is not a PNG, JPEG or WebP image")?;
    let image = decode(upload, format).map_err(|e| match e {
        ImageError::Limits(_) => format!(
            "the image is larger than {MAX_AVATAR_PIXELS} × {MAX_AVATAR_PIXELS} pixels; send a smaller one"
        ),
        _ => format!("the file looks like a {format:?} image but does not decode ({e})"),
    })?;
    let jpeg = encode(&square(&image))?;
    let sha256 = Sha256::digest(&jpeg)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Avatar { sha256, jpeg })
}

fn decode(upload: &[u8], format: ImageFormat) -> Result<DynamicImage, ImageError> {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_AVATAR_PIXELS);
    limits.max_image_height = Some(MAX_AVATAR_PIXELS);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut decoder = ImageReader::with_format(Cursor::new(upload), format).into_decoder()?;
    decoder.set_limits(limits)?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The centred square of `image`, scaled to [`SIDE`], on white.
fn square(image: &DynamicImage) -> RgbImage {
    let (width, height) = (image.width(), image.height());
    let side = width.min(height);
    let scaled = image
        .crop_imm((width - side) / 2, (height - side) / 2, side, side)
        .resize_exact(SIDE, SIDE, FilterType::CatmullRom)
        .to_rgba8();
    RgbImage::from_fn(SIDE, SIDE, |x, y| {
        let [r, g, b, a] = scaled.get_pixel(x, y).0;
        let on_white =
            |c: u8| ((u32::from(c) * u32::from(a) + 255 * (255 - u32::from(a))) / 255) as u8;
        image::Rgb([on_white(r), on_white(g), on_white(b)])
    })
}

fn encode(image: &RgbImage) -> Result<Vec<u8>, String> {
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut jpeg, QUALITY)
        .encode_image(image)
        .map_err(|e| format!("the avatar could not be encoded ({e})"))?;
    Ok(jpeg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, Rgba, RgbaImage};

    fn png(width: u32, height: u32, pixel: impl Fn(u32, u32) -> Rgba<u8>) -> Vec<u8> {
        let image = RgbaImage::from_fn(width, height, pixel);
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                image.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgba8,
            )
            .unwrap();
        out
    }

    fn decoded(avatar: &Avatar) -> RgbImage {
        image::load_from_memory_with_format(&avatar.jpeg, ImageFormat::Jpeg)
            .unwrap()
            .to_rgb8()
    }

    #[test]
    fn a_wide_png_becomes_its_centred_square_as_a_256_jpeg() {
        // Red left and right thirds, blue middle: the centred square is blue.
        let upload = png(300, 100, |x, _| {
            if (100..200).contains(&x) {
                Rgba([0, 0, 255, 255])
            } else {
                Rgba([255, 0, 0, 255])
            }
        });
        let avatar = normalise(&upload).unwrap();
        assert_eq!(
            image::guess_format(&avatar.jpeg).unwrap(),
            ImageFormat::Jpeg
        );
        let image = decoded(&avatar);
        assert_eq!(image.dimensions(), (SIDE, SIDE));
        let [r, _, b] = image.get_pixel(128, 128).0;
        assert!(b > 200 && r < 60, "the middle is blue: {r} {b}");
        let [r, _, b] = image.get_pixel(2, 128).0;
        assert!(b > 200 && r < 60, "the crop keeps no red edge: {r} {b}");
        assert_eq!(avatar.sha256.len(), 64);
        assert_eq!(
            normalise(&upload).unwrap().sha256,
            avatar.sha256,
            "the same image, the same name"
        );
    }

    #[test]
    fn transparency_is_laid_on_white_and_small_images_are_scaled_up() {
        let avatar = normalise(&png(16, 16, |_, _| Rgba([0, 0, 0, 0]))).unwrap();
        let [r, g, b] = decoded(&avatar).get_pixel(100, 100).0;
        assert!(r > 245 && g > 245 && b > 245, "white: {r} {g} {b}");
    }

    #[test]
    fn the_jpeg_carries_no_metadata() {
        let avatar = normalise(&png(40, 40, |_, _| Rgba([9, 9, 9, 255]))).unwrap();
        // APP1 (Exif / XMP) and COM segments: none.
        for marker in [[0xFF, 0xE1], [0xFF, 0xFE]] {
            assert!(
                !avatar.jpeg.windows(2).any(|w| w == marker),
                "{marker:02X?}"
            );
        }
    }

    #[test]
    fn only_png_jpeg_and_webp_by_content_are_accepted() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(normalise(gif)
            .unwrap_err()
            .contains("not a PNG, JPEG or WebP"));
        assert!(normalise(b"<html>hello</html>").is_err());
        assert!(normalise(b"").is_err());
        let mut truncated = png(50, 50, |_, _| Rgba([1, 2, 3, 255]));
        truncated.truncate(truncated.len() / 2);
        assert!(normalise(&truncated)
            .unwrap_err()
            .contains("does not decode"));
    }

    #[test]
    fn images_beyond_the_pixel_limit_are_refused_before_decoding() {
        let wide = png(MAX_AVATAR_PIXELS + 1, 1, |_, _| Rgba([0, 0, 0, 255]));
        assert!(normalise(&wide).unwrap_err().contains("larger than 4096"));
        assert!(normalise(&png(MAX_AVATAR_PIXELS, 1, |_, _| Rgba([0, 0, 0, 255]))).is_ok());
    }
}
