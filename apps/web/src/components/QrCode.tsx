import { useEffect, useState } from 'react';
import QRCode from 'qrcode';

/** Renders a payload (a provider's checkout code, a ride code) as an SVG QR code. */
/** `caption: false` hides the payload text (a long signed code means nothing to a person). */
export function QrCode({ payload, label, size = 220, caption = true }: { payload: string; label: string; size?: number; caption?: boolean }) {
  const [svg, setSvg] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    QRCode.toString(payload, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }).then(
      (s) => live && setSvg(s),
      () => live && setSvg(null),
    );
    return () => {
      live = false;
    };
  }, [payload]);
  return (
    <figure className="qr" style={{ width: size }}>
      <div role="img" aria-label={label} data-qr-payload={payload} dangerouslySetInnerHTML={svg ? { __html: svg } : undefined} />
      {caption && <figcaption className="qr-payload">{payload}</figcaption>}
    </figure>
  );
}
