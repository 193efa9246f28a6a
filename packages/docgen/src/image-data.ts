import { AppError } from '@flowspark/core';
import type { Section } from './model';

/** An image block's bytes, checked: the type comes from the magic bytes, never from a claim. */
export interface DecodedImage {
  bytes: Uint8Array;
  type: 'png' | 'jpg';
  /** Pixel size read from the PNG IHDR or the JPEG SOF marker. */
  width: number;
  height: number;
  /** Where the image is in the model, for error messages. */
  where: string;
}

const badImage = (where: string, reason: string) =>
  new AppError('UNPROCESSABLE', `${where}: ${reason}`, { details: { reason: 'INVALID_IMAGE', where } });

const decodeBase64 = (data: string): Uint8Array | null => {
  const clean = data.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 === 1) return null;
  try {
    const binary = atob(clean);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return bytes;
  } catch {
    return null;
  }
};

const pngSize = (b: Uint8Array) => {
  // Signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4).
  if (b.length < 24 || String.fromCharCode(...b.subarray(12, 16)) !== 'IHDR') return null;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
};

const jpegSize = (b: Uint8Array) => {
  let i = 2;
  while (i + 9 < b.length) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) {
      i += 1;
      continue;
    }
    const length = (b[i + 2] << 8) | b[i + 3];
    // SOF0–SOF15 carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) are not frames.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (b[i + 5] << 8) | b[i + 6], width: (b[i + 7] << 8) | b[i + 8] };
    }
    if (length < 2) return null;
    i += 2 + length;
  }
  return null;
};

/**
 * Decodes an image block. Bad base64, an unknown type or an unreadable header → AppError
 * UNPROCESSABLE naming the image, never a renderer crash.
 */
export const decodeImage = (dataBase64: string, where: string): DecodedImage => {
  const bytes = decodeBase64(dataBase64);
  if (!bytes || bytes.length === 0) throw badImage(where, 'the image data is not valid base64');
  const isPng = bytes.length > 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  const isJpeg = bytes.length > 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw badImage(where, 'the image is neither PNG nor JPEG');
  const size = isPng ? pngSize(bytes) : jpegSize(bytes);
  if (!size || size.width <= 0 || size.height <= 0) throw badImage(where, 'the image header is unreadable');
  return { bytes, type: isPng ? 'png' : 'jpg', ...size, where };
};

/** The drawn size in points: the requested width (or the pixel width), at most `maxWidth`/`maxHeight`. */
export const fitImage = (image: DecodedImage, requested: number | undefined, maxWidth: number, maxHeight: number) => {
  let width = Math.min(requested ?? image.width, maxWidth);
  let height = (width * image.height) / image.width;
  if (height > maxHeight) {
    width *= maxHeight / height;
    height = maxHeight;
  }
  return { width, height };
};

/** Decodes every image of a model up front, so bad data fails before any rendering work. */
export const decodeModelImages = (sections: readonly Section[]) => {
  const images = new Map<object, DecodedImage>();
  for (const [s, section] of sections.entries()) {
    for (const [b, block] of section.blocks.entries()) {
      if (block.type === 'image') {
        images.set(block, decodeImage(block.data_base64, `Image in section ${s + 1}, block ${b + 1}`));
      }
    }
  }
  return images;
};
