//! Checking and cleaning a photo that a resident attached to a complaint.
//!
//! [`clean_photo`] takes the uploaded bytes and returns either a [`CleanPhoto`] (the re-encoded
//! photo plus a JPEG thumbnail) or one [`PhotoError`]. It is pure: no file or database I/O, so
//! the caller stores the result only once every photo of a complaint has passed, and a rejected
//! upload leaves nothing behind.
//!
//! The photo is always decoded to pixels and encoded again, never passed through. That is what
//! removes the metadata a phone writes into a photo (EXIF with the GPS position of the
//! resident's house, the device, the time; XMP; ICC profiles; PNG text chunks): the encoders are
//! given pixels only. It also means that a file whose content is not really a picture cannot
//! reach storage, whatever its name or declared content type.

use std::fmt;
use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::error::ImageError;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{
    ColorType, DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits, Rgb,
    RgbImage,
};

/// The largest upload accepted, checked before anything is decoded.
pub const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;

/// Neither side of an upload may exceed this many pixels, checked from the header before the
/// pixels are decoded. A 108-megapixel phone photo is 12000×9000; a header claiming more is
/// far more likely a decompression bomb (a small file that decodes to gigabytes) than a photo.
/// [`MAX_DECODED_BYTES`] is the finer limit.
pub const MAX_DECODE_SIDE: u32 = 12_000;

/// The decoded pixels of one upload may take at most this much memory, checked from the
/// header. It admits up to about 89 megapixels of 8-bit RGB, more than a phone photo within
/// [`MAX_PHOTO_BYTES`] has (a 64-megapixel one is about 190 MB), and bounds what one request
/// can make the server allocate, whatever the file's header claims.
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// Stored photos are scaled down to fit within this many pixels on the longer side. A complaint
/// photo only has to show the pothole or the rubbish heap; 2560 px keeps that detail (and lets
/// staff zoom in) while a 12-megapixel original would cost residents on metered mobile data,
/// and the regency's storage, several times as much.
pub const MAX_LONG_SIDE: u32 = 2560;

/// Thumbnails (for lists and the map) fit within this many pixels on the longer side.
pub const THUMB_LONG_SIDE: u32 = 320;

/// JPEG quality for the stored photo. At 85 artefacts are hard to see on a photo while the file
/// is about half the size of one at 95.
const JPEG_QUALITY: u8 = 85;

/// Thumbnails are small and viewed in lists, so compression shows even less.
const THUMB_JPEG_QUALITY: u8 = 80;

/// The format of a stored photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoKind {
    Jpeg,
    Png,
    Webp,
}

impl PhotoKind {
    /// The media type to serve the photo with.
    pub fn mime(self) -> &'static str {
        match self {
            PhotoKind::Jpeg => "image/jpeg",
            PhotoKind::Png => "image/png",
            PhotoKind::Webp => "image/webp",
        }
    }

    /// The file name extension for the photo, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            PhotoKind::Jpeg => "jpg",
            PhotoKind::Png => "png",
            PhotoKind::Webp => "webp",
        }
    }

    /// The format from the first bytes of the content. The file name and the content type the
    /// browser sends are chosen by the uploader, so they are not consulted at all.
    fn sniff(bytes: &[u8]) -> Option<PhotoKind> {
        const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PhotoKind::Jpeg)
        } else if bytes.starts_with(PNG_SIGNATURE) {
            Some(PhotoKind::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(PhotoKind::Webp)
        } else {
            None
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            PhotoKind::Jpeg => ImageFormat::Jpeg,
            PhotoKind::Png => ImageFormat::Png,
            PhotoKind::Webp => ImageFormat::WebP,
        }
    }
}

/// A photo that passed the checks, re-encoded without metadata, with its thumbnail.
#[derive(Clone, PartialEq, Eq)]
pub struct CleanPhoto {
    /// The format of `bytes`: the format of the upload (a WebP stays WebP, see [`clean_photo`]).
    pub kind: PhotoKind,
    pub bytes: Vec<u8>,
    /// The dimensions of `bytes`, after the EXIF orientation was applied and after scaling down.
    pub width: u32,
    pub height: u32,
    /// Always a JPEG (`image/jpeg`), whatever `kind` is.
    pub thumbnail: Vec<u8>,
    pub thumb_width: u32,
    pub thumb_height: u32,
}

// Written by hand so that logging a photo prints its size, not megabytes of numbers.
impl fmt::Debug for CleanPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CleanPhoto")
            .field("kind", &self.kind)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .field("width", &self.width)
            .field("height", &self.height)
            .field(
                "thumbnail",
                &format_args!("<{} bytes>", self.thumbnail.len()),
            )
            .field("thumb_width", &self.thumb_width)
            .field("thumb_height", &self.thumb_height)
            .finish()
    }
}

/// Why an upload was refused. [`PhotoError::code`] gives the message key to show the resident.
#[derive(Debug, Clone, Copy, thiserror::Error, PartialEq, Eq)]
pub enum PhotoError {
    #[error("the photo is empty")]
    Empty,
    #[error("the photo is {bytes} bytes, more than the limit of {MAX_PHOTO_BYTES} bytes")]
    TooLarge { bytes: usize },
    /// The content is not JPEG, PNG or WebP, whatever the file name or content type says.
    #[error("the file is not a JPEG, PNG or WebP photo")]
    NotAPhoto,
    /// The content starts like a JPEG, PNG or WebP but does not decode.
    #[error("the photo is damaged and cannot be read")]
    Corrupt,
    #[error("the photo is {width}×{height} pixels, more than can be processed")]
    TooManyPixels { width: u32, height: u32 },
}

impl PhotoError {
    /// A stable key for the message shown to the resident (looked up in the locale files).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoError::Empty => "photo_empty",
            PhotoError::TooLarge { .. } => "photo_too_large",
            PhotoError::NotAPhoto => "photo_not_image",
            PhotoError::Corrupt => "photo_corrupt",
            PhotoError::TooManyPixels { .. } => "photo_too_many_pixels",
        }
    }
}

/// Checks an uploaded photo and returns it cleaned, or says why it was refused.
///
/// - Empty input, input over [`MAX_PHOTO_BYTES`], and content that is not JPEG, PNG or WebP
///   by its magic bytes are refused before any decoding.
/// - Images over [`MAX_DECODE_SIDE`] on a side or [`MAX_DECODED_BYTES`] of pixels are refused
///   from their header, before the pixels are decoded.
/// - The EXIF orientation is applied to the pixels, since the tag that told viewers to rotate
///   the photo is removed with the rest of the metadata.
/// - The photo is scaled down to fit within [`MAX_LONG_SIDE`] (never up) and re-encoded
///   without metadata: JPEG as JPEG (quality 85), PNG as PNG, WebP as lossless WebP. WebP stays
///   WebP so a picture with transparency keeps it and the caller never has to deal with a kind
///   change; the `image` crate only encodes lossless WebP. Animated PNG and WebP keep only
///   their first frame.
/// - The thumbnail is a JPEG that fits within [`THUMB_LONG_SIDE`] (never scaled up);
///   transparent areas become white.
pub fn clean_photo(input: &[u8]) -> Result<CleanPhoto, PhotoError> {
    if input.is_empty() {
        return Err(PhotoError::Empty);
    }
    if input.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge { bytes: input.len() });
    }
    let kind = PhotoKind::sniff(input).ok_or(PhotoError::NotAPhoto)?;

    let image = decode(input, kind)?;
    let (bytes, width, height) = encode_photo(&image, kind)?;
    let thumb = fit_within(&image, THUMB_LONG_SIDE);
    let thumbnail = encode_jpeg(&thumb, THUMB_JPEG_QUALITY)?;

    Ok(CleanPhoto {
        kind,
        bytes,
        width,
        height,
        thumbnail,
        thumb_width: thumb.width(),
        thumb_height: thumb.height(),
    })
}

/// Decodes the pixels, scaled to fit [`MAX_LONG_SIDE`] and turned upright.
fn decode(input: &[u8], kind: PhotoKind) -> Result<DynamicImage, PhotoError> {
    // The header is read without the dimension limits so that a refusal can name the
    // dimensions; reading a header allocates at most about the size of the input. The memory
    // limit applies already, since the PNG decoder also uses it for compressed text chunks.
    let mut reader = ImageReader::with_format(Cursor::new(input), kind.image_format());
    reader.limits(memory_limits());
    let mut decoder = reader.into_decoder().map_err(decode_error)?;

    let (width, height) = decoder.dimensions();
    let too_many = PhotoError::TooManyPixels { width, height };
    decoder.set_limits(pixel_limits()).map_err(|e| match e {
        ImageError::Limits(_) => too_many,
        other => decode_error(other),
    })?;
    // Not every decoder enforces `max_alloc` for the pixel buffer itself, so check it here.
    if decoder.total_bytes() > MAX_DECODED_BYTES {
        return Err(too_many);
    }
    if kind == PhotoKind::Jpeg && jpeg_too_small(input.len(), width, height) {
        return Err(PhotoError::Corrupt);
    }

    // The orientation only decides how the picture is turned; if it cannot be read, the pixels
    // are still worth keeping as they are, and whether they decode is checked next.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);

    let image = DynamicImage::from_decoder(decoder).map_err(|e| match e {
        ImageError::Limits(_) => too_many,
        other => decode_error(other),
    })?;

    // Scale before turning: the bound is a square, so the result is the same, and rotating the
    // small image instead of the original avoids a second full-size copy in memory.
    let mut image = fit_for_storage(image, MAX_LONG_SIDE);
    image.apply_orientation(orientation);
    Ok(image)
}

/// Whether a JPEG is too small to hold the pixels its header claims. Every 8×8 block costs at
/// least one bit of coded data (the Huffman code of its DC difference), so a smaller file is
/// truncated or forged. The decoder does not notice: it fills in missing data, which would let
/// a few hundred bytes claiming 8000×8000 pixels make the server allocate and process 200 MB.
/// The threshold is half a bit per block, to stay clear of any real photo.
fn jpeg_too_small(len: usize, width: u32, height: u32) -> bool {
    let blocks = u64::from(width.div_ceil(8)) * u64::from(height.div_ceil(8));
    u64::try_from(len).unwrap_or(u64::MAX).saturating_mul(16) < blocks
}

fn memory_limits() -> Limits {
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

fn pixel_limits() -> Limits {
    let mut limits = memory_limits();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits
}

/// Maps a decoding failure other than the size limits checked from the header. A limit hit
/// while only the header is read (a PNG whose text chunks inflate past the memory limit) is an
/// attack or damage, not a big photo, so it counts as corrupt too; so does a rare encoding
/// feature the decoder does not support (an arithmetic-coded JPEG), which no phone writes.
fn decode_error(_error: ImageError) -> PhotoError {
    PhotoError::Corrupt
}

/// Scales the photo down for storage.
fn fit_for_storage(image: DynamicImage, long_side: u32) -> DynamicImage {
    let long = image.width().max(image.height());
    if long <= long_side {
        image
    } else if long >= 2 * long_side {
        // From half size down, averaging blocks of at least 2×2 pixels is a proper area
        // filter. `resize` would first build a 16-bytes-per-pixel buffer as wide as the
        // original, which for a 50-megapixel photo is 250 MB on top of the decoded 150 MB.
        image.thumbnail(long_side, long_side)
    } else {
        // Closer to 1:1, block averaging would pick whole pixels unevenly (jagged edges), so
        // this uses a real filter; its intermediate buffer stays moderate at these sizes.
        // Triangle (bilinear, widened with the scale factor so every source pixel counts) is
        // sharp enough for photos and a third of the work of Lanczos3.
        image.resize(long_side, long_side, FilterType::Triangle)
    }
}

/// Scales an image down for a thumbnail. `thumbnail` averages blocks of pixels with integer
/// arithmetic: fast, needs no large intermediate buffer, and at thumbnail scale (usually an
/// eighth or less) its slight aliasing near a factor of 1 does not show.
fn fit_within(image: &DynamicImage, long_side: u32) -> DynamicImage {
    if image.width().max(image.height()) <= long_side {
        return image.clone();
    }
    image.thumbnail(long_side, long_side)
}

/// Encodes the stored photo in the format of the upload and returns it with its dimensions.
fn encode_photo(image: &DynamicImage, kind: PhotoKind) -> Result<(Vec<u8>, u32, u32), PhotoError> {
    let bytes = match kind {
        PhotoKind::Jpeg => encode_jpeg(image, JPEG_QUALITY)?,
        PhotoKind::Png => {
            let mut out = Vec::new();
            // PNG takes every colour type a PNG decodes to, 16-bit included, so nothing is lost.
            write_all(PngEncoder::new(&mut out), image)?;
            out
        }
        PhotoKind::Webp => {
            // The WebP decoder yields 8-bit RGB or RGBA, which the lossless encoder takes; the
            // conversion is only a safeguard.
            let converted;
            let pixels = match image.color() {
                ColorType::Rgb8 | ColorType::Rgba8 => image,
                color if color.has_alpha() => {
                    converted = DynamicImage::ImageRgba8(image.to_rgba8());
                    &converted
                }
                _ => {
                    converted = DynamicImage::ImageRgb8(image.to_rgb8());
                    &converted
                }
            };
            let mut out = Vec::new();
            write_all(WebPEncoder::new_lossless(&mut out), pixels)?;
            out
        }
    };
    Ok((bytes, image.width(), image.height()))
}

/// Writes every pixel of `image` as it is, in the encoder's format.
fn write_all(encoder: impl ImageEncoder, image: &DynamicImage) -> Result<(), PhotoError> {
    encoder
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .map_err(encode_error)
}

fn encode_jpeg(image: &DynamicImage, quality: u8) -> Result<Vec<u8>, PhotoError> {
    // JPEG has neither alpha nor 16-bit samples: grey stays grey (a third of the data),
    // everything else becomes opaque 8-bit RGB.
    let converted;
    let pixels = match image.color() {
        ColorType::L8 | ColorType::Rgb8 => image,
        ColorType::L16 => {
            converted = DynamicImage::ImageLuma8(image.to_luma8());
            &converted
        }
        _ => {
            converted = DynamicImage::ImageRgb8(opaque_rgb8(image));
            &converted
        }
    };
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .write_image(
            pixels.as_bytes(),
            pixels.width(),
            pixels.height(),
            pixels.color().into(),
        )
        .map_err(encode_error)?;
    Ok(out)
}

/// 8-bit RGB with transparency composited onto white. Dropping the alpha channel instead would
/// show whatever colour the transparent pixels happen to hold, usually black.
fn opaque_rgb8(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    let mut out = RgbImage::new(rgba.width(), rgba.height());
    for (target, source) in out.pixels_mut().zip(rgba.pixels()) {
        let alpha = u16::from(source[3]);
        *target = Rgb(std::array::from_fn(|i| {
            let blended = (u16::from(source[i]) * alpha + 255 * (255 - alpha) + 127) / 255;
            u8::try_from(blended).unwrap_or(u8::MAX)
        }));
    }
    out
}

/// The encoders are only handed colour types they support, so this does not happen in
/// practice; if it ever does, the upload is refused rather than stored half-processed.
fn encode_error(_error: ImageError) -> PhotoError {
    PhotoError::Corrupt
}

#[cfg(test)]
mod tests;
