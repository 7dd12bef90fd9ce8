<?php
declare(strict_types=1);

namespace SimDav;

// Nextcloud converts cards to the vCard version a client asks for (3.0 unless told 4.0); vobject 2.1 cannot.
// This minimal conversion covers what the seeds and the gateway write: the VERSION line and 4.0's
// TEL;VALUE=uri:tel:… form. Other 3.0/4.0 differences (PHOTO encoding, KIND, parameter case) are left as stored.
final class CardVersion
{
    public static function convert(string $data, string $version): string
    {
        $converted = preg_replace('/^VERSION:[^\r\n]*/m', 'VERSION:' . $version, $data, 1) ?? $data;
        if ($version === '3.0') {
            $converted = preg_replace('/^(TEL(?:;[^:\r\n]*)?);VALUE=uri:tel:/mi', '$1:', $converted) ?? $converted;
        }
        return $converted;
    }

    /** "4.0" when an Accept header or address-data element asks for it, else Nextcloud's default 3.0. */
    public static function wanted(?string $requested): string
    {
        return $requested !== null && str_contains($requested, '4.0') ? '4.0' : '3.0';
    }
}
