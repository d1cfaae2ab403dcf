//! Uploaded photos (public form, Open311 `media`, content attachments): header sniffing,
//! decoding within limits, EXIF orientation, re-encoding. A refusal is fine; a panic, an
//! allocation beyond the limits (libFuzzer's -rss_limit_mb) or a kept EXIF block is not.
#![no_main]

use kotapintar_storage::media::{clean_photo, PhotoKind, MAX_LONG_SIDE, THUMB_LONG_SIDE};
use image::ImageDecoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(photo) = clean_photo(data) else {
        return;
    };
    assert!(photo.width >= 1 && photo.height >= 1);
    assert!(photo.width.max(photo.height) <= MAX_LONG_SIDE);
    assert!(photo.thumb_width.max(photo.thumb_height) <= THUMB_LONG_SIDE);
    let format = match photo.kind {
        PhotoKind::Jpeg => image::ImageFormat::Jpeg,
        PhotoKind::Png => image::ImageFormat::Png,
        PhotoKind::Webp => image::ImageFormat::WebP,
    };
    let decoded = image::load_from_memory_with_format(&photo.bytes, format)
        .expect("the cleaned photo decodes as its own format");
    assert_eq!(
        (decoded.width(), decoded.height()),
        (photo.width, photo.height)
    );
    let thumb = image::load_from_memory_with_format(&photo.thumbnail, image::ImageFormat::Jpeg)
        .expect("the thumbnail is a JPEG");
    assert_eq!(
        (thumb.width(), thumb.height()),
        (photo.thumb_width, photo.thumb_height)
    );
    // No metadata survives: neither file carries EXIF (GPS position, camera serial) or XMP,
    // as the decoders themselves read them. (Searching the bytes for "Exif" would also hit
    // pixel data that happens to hold those letters, which is harmless.)
    for (bytes, format) in [
        (&photo.bytes, format),
        (&photo.thumbnail, image::ImageFormat::Jpeg),
    ] {
        let mut decoder = image::ImageReader::with_format(std::io::Cursor::new(bytes), format)
            .into_decoder()
            .expect("the cleaned file's header reads");
        assert_eq!(
            decoder.exif_metadata().expect("metadata reads"),
            None,
            "an EXIF block was kept"
        );
        assert_eq!(
            decoder.xmp_metadata().expect("metadata reads"),
            None,
            "an XMP block was kept"
        );
    }
});
