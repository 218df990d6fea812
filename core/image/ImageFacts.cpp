#include "ImageFacts.h"

#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

namespace rine {

namespace {

constexpr std::size_t kMaxText = 4000; // bytes of one text kept for display
constexpr std::size_t kMaxInflated = 1 << 20; // a compressed text chunk may not inflate beyond this
// Per file: the text looked at (raw and inflated) and the text chunks kept. A 2 MB PNG of
// 2,000 zTXt chunks, each inflating to 1 MB, kept a report busy for minutes; beyond these,
// further chunks are counted, not read, and the facts say so.
constexpr std::size_t kMaxTextPerFile = 16 << 20;
constexpr std::size_t kMaxTextChunks = 64;
constexpr int kMaxIfdEntries = 1000;
constexpr int kMaxSegments = 4096;

struct Bytes {
    const std::uint8_t *data;
    std::size_t size;
    bool has(std::size_t offset, std::size_t length) const { return offset <= size && length <= size - offset; }
    std::string text(std::size_t offset, std::size_t length) const
    {
        if (!has(offset, length))
            return {};
        return std::string(reinterpret_cast<const char *>(data + offset), length);
    }
};

std::uint32_t be32(const std::uint8_t *p) { return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3]; }
std::uint16_t be16(const std::uint8_t *p) { return std::uint16_t(p[0] << 8 | p[1]); }
std::uint32_t le32(const std::uint8_t *p) { return std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0]; }

// Printable text: control characters (but newlines and tabs) shown as '?', cut to kMaxText.
std::string clean(std::string text)
{
    while (!text.empty() && (text.back() == '\0' || text.back() == ' '))
        text.pop_back();
    if (text.size() > kMaxText)
        text = text.substr(0, kMaxText) + " [...]";
    for (char &c : text)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t')
            c = '?';
    return text;
}

bool containsNoCase(const std::string &haystack, const std::string &needle)
{
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                          [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); });
    return it != haystack.end();
}

std::string firstLine(const std::string &text, std::size_t max = 160)
{
    std::string line = text.substr(0, text.find('\n'));
    if (line.size() > max)
        line = line.substr(0, max) + "...";
    return line;
}

// Tools that name themselves in Software/CreatorTool fields.
const char *const kGeneratorNames[] = {"Stable Diffusion", "stable-diffusion", "AUTOMATIC1111", "ComfyUI", "InvokeAI",
                                       "NovelAI", "Midjourney", "DALL-E", "DALL\xC2\xB7" "E", "Firefly", "Imagen",
                                       "Leonardo.Ai", "Fooocus", "Flux", "Ideogram", "Runway", "GPT-4o", "Gemini"};

void noteSoftware(ImageFacts &facts, const std::string &where, const std::string &value)
{
    for (const char *name : kGeneratorNames)
        if (containsNoCase(value, name)) {
            facts.generatorTraces.push_back(where + " names a generator: \"" + firstLine(value) + "\"");
            return;
        }
}

// ---- EXIF (a TIFF structure) ----

class Tiff {
public:
    Tiff(Bytes bytes, ImageFacts &facts, std::string where) : m_b(bytes), m_facts(facts), m_where(std::move(where)) {}

    void read()
    {
        if (!m_b.has(0, 8))
            return problem("too short");
        if (m_b.data[0] == 'I' && m_b.data[1] == 'I')
            m_little = true;
        else if (!(m_b.data[0] == 'M' && m_b.data[1] == 'M'))
            return problem("no byte-order mark");
        const std::uint32_t ifd0 = u32(4);
        std::vector<std::pair<std::string, std::string>> fields;
        std::uint32_t exifIfd = 0;
        bool gps = false;
        ifd(ifd0, [&](std::uint16_t tag, std::uint16_t type, std::uint32_t count, std::size_t valueAt) {
            switch (tag) {
            case 0x010F: m_make = ascii(type, count, valueAt); break;
            case 0x0110: m_model = ascii(type, count, valueAt); break;
            case 0x0131: m_software = ascii(type, count, valueAt); break;
            case 0x0132: m_dateTime = ascii(type, count, valueAt); break;
            case 0x013B: m_artist = ascii(type, count, valueAt); break;
            case 0x8298: m_copyright = ascii(type, count, valueAt); break;
            case 0x0112:
                if (type == 3 && count >= 1 && m_b.has(valueAt, 2)) {
                    const int value = u16(valueAt);
                    if (value >= 1 && value <= 8)
                        m_facts.orientation = value;
                }
                break;
            case 0x8769: if (type == 4 || type == 13) exifIfd = u32(valueAt); break;
            case 0x8825: gps = true; break;
            default: break;
            }
        });
        if (exifIfd)
            ifd(exifIfd, [&](std::uint16_t tag, std::uint16_t type, std::uint32_t count, std::size_t valueAt) {
                if (tag == 0x9003)
                    m_dateTimeOriginal = ascii(type, count, valueAt);
                else if (tag == 0x9286 && type == 7 && count > 8 && m_b.has(valueAt, count))
                    m_userComment = clean(m_b.text(valueAt + 8, count - 8)); // 8-byte character-code prefix
            });
        auto add = [&](const char *name, const std::string &value) {
            if (!value.empty())
                m_facts.exif.emplace_back(name, value);
        };
        add("Make", m_make);
        add("Model", m_model);
        add("Software", m_software);
        add("DateTime", m_dateTime);
        add("DateTimeOriginal", m_dateTimeOriginal);
        add("Artist", m_artist);
        add("Copyright", m_copyright);
        add("UserComment", m_userComment);
        if (gps)
            m_facts.exif.emplace_back("GPS", "present");
        if (!m_software.empty())
            noteSoftware(m_facts, "EXIF Software", m_software);
        if (m_userComment.find("Steps: ") != std::string::npos && m_userComment.find("Sampler: ") != std::string::npos)
            m_facts.generatorTraces.push_back("EXIF UserComment holds generation parameters in the Stable Diffusion web UI "
                                              "format: \"" + firstLine(m_userComment) + "\"");
    }

private:
    std::uint16_t u16(std::size_t at) const { return m_little ? std::uint16_t(m_b.data[at] | m_b.data[at + 1] << 8) : be16(m_b.data + at); }
    std::uint32_t u32(std::size_t at) const { return m_little ? le32(m_b.data + at) : be32(m_b.data + at); }

    void problem(const std::string &what) { m_facts.problems.push_back(m_where + ": " + what + "; the rest of it was not read"); }

    template <typename Visit>
    void ifd(std::uint32_t offset, Visit visit)
    {
        if (!m_visited.insert(offset).second)
            return problem("an IFD offset points back to one already read (a loop)");
        if (!m_b.has(offset, 2))
            return problem("an IFD offset points outside the data");
        const int entries = u16(offset);
        if (entries > kMaxIfdEntries || !m_b.has(offset + 2, std::size_t(entries) * 12))
            return problem("an IFD claims more entries than the data holds");
        for (int i = 0; i < entries; ++i) {
            const std::size_t entry = offset + 2 + std::size_t(i) * 12;
            const std::uint16_t tag = u16(entry), type = u16(entry + 2);
            const std::uint32_t count = u32(entry + 4);
            static const int sizes[] = {0, 1, 1, 2, 4, 8, 1, 1, 2, 4, 8, 4, 8, 4};
            const std::uint64_t bytes = type < 14 ? std::uint64_t(sizes[type]) * count : 0;
            const std::size_t valueAt = bytes <= 4 ? entry + 8 : u32(entry + 8);
            if (bytes > 4 && !m_b.has(valueAt, std::size_t(bytes)))
                continue; // a value outside the data: skipped
            visit(tag, type, count, valueAt);
        }
    }

    std::string ascii(std::uint16_t type, std::uint32_t count, std::size_t at) const
    {
        if ((type != 2 && type != 7) || !m_b.has(at, count))
            return {};
        return clean(m_b.text(at, count));
    }

    Bytes m_b;
    ImageFacts &m_facts;
    std::string m_where;
    bool m_little = false;
    std::set<std::uint32_t> m_visited;
    std::string m_make, m_model, m_software, m_dateTime, m_dateTimeOriginal, m_artist, m_copyright, m_userComment;
};

// ---- XMP ----

std::string xmpValue(const std::string &xmp, const std::string &name)
{
    // Attribute form name="value" or element form <name>value</name>.
    std::size_t at = xmp.find(name + "=\"");
    if (at != std::string::npos) {
        at += name.size() + 2;
        const std::size_t end = xmp.find('"', at);
        if (end != std::string::npos)
            return clean(xmp.substr(at, std::min<std::size_t>(end - at, 400)));
    }
    at = xmp.find("<" + name + ">");
    if (at != std::string::npos) {
        at += name.size() + 2;
        const std::size_t end = xmp.find('<', at);
        if (end != std::string::npos)
            return clean(xmp.substr(at, std::min<std::size_t>(end - at, 400)));
    }
    return {};
}

void readXmp(ImageFacts &facts, const std::string &xmp, const std::string &where)
{
    if (facts.xmpCreatorTool.empty())
        facts.xmpCreatorTool = xmpValue(xmp, "xmp:CreatorTool");
    if (facts.xmpDigitalSourceType.empty())
        facts.xmpDigitalSourceType = xmpValue(xmp, "Iptc4xmpExt:DigitalSourceType");
    if (!facts.xmpCreatorTool.empty())
        noteSoftware(facts, where + " CreatorTool", facts.xmpCreatorTool);
    const std::string &source = facts.xmpDigitalSourceType;
    if (source.find("trainedAlgorithmicMedia") != std::string::npos ||
        source.find("compositeWithTrainedAlgorithmicMedia") != std::string::npos ||
        source.find("algorithmicMedia") != std::string::npos)
        facts.generatorTraces.push_back(where + " declares the IPTC digital source type \"" + source + "\"");
}

// ---- JUMBF / C2PA ----

bool looksLikeC2pa(const Bytes &b, std::size_t from, std::size_t length)
{
    const std::string text = b.text(from, std::min<std::size_t>(length, 4096));
    return text.find("jumb") != std::string::npos && text.find("c2pa") != std::string::npos;
}

// ---- PNG text ----

bool inflateText(const std::uint8_t *data, std::size_t size, std::string &out, std::size_t limit = kMaxInflated)
{
    z_stream stream{};
    if (inflateInit(&stream) != Z_OK)
        return false;
    stream.next_in = const_cast<Bytef *>(data);
    stream.avail_in = uInt(std::min<std::size_t>(size, 1u << 30));
    std::string buffer(64 * 1024, '\0');
    int status = Z_OK;
    while (status == Z_OK && out.size() < limit) {
        stream.next_out = reinterpret_cast<Bytef *>(buffer.data());
        stream.avail_out = uInt(buffer.size());
        status = inflate(&stream, Z_NO_FLUSH);
        out.append(buffer.data(), buffer.size() - stream.avail_out);
        if (status == Z_OK && stream.avail_in == 0 && stream.avail_out != 0)
            break;
    }
    inflateEnd(&stream);
    return status == Z_STREAM_END || status == Z_OK;
}

void noteTextChunk(ImageFacts &facts, const std::string &key, const std::string &value)
{
    facts.textChunks.emplace_back(clean(key), clean(value));
    if (key == "parameters")
        facts.generatorTraces.push_back("PNG text \"parameters\", as written by the Stable Diffusion web UI "
                                        "(AUTOMATIC1111) and tools that copy its format: \"" + firstLine(value) + "\"");
    else if (key == "prompt" || key == "workflow")
        facts.generatorTraces.push_back("PNG text \"" + key + "\", as written by ComfyUI");
    else if (key == "Dream" || key == "sd-metadata" || key == "invokeai_metadata" || key == "invokeai_graph")
        facts.generatorTraces.push_back("PNG text \"" + key + "\", as written by InvokeAI");
    else if (key == "Software" || key == "Source" || key == "Comment" || key == "Description")
        noteSoftware(facts, "PNG text \"" + key + "\"", value);
    else if (key == "XML:com.adobe.xmp")
        readXmp(facts, value, "XMP (PNG iTXt)");
}

void readPng(const Bytes &b, ImageFacts &facts)
{
    std::size_t at = 8;
    std::size_t textRead = 0, textChunks = 0, textSkipped = 0;
    struct Tally {
        ImageFacts &facts;
        std::size_t &skipped;
        ~Tally()
        {
            if (skipped)
                facts.problems.push_back(std::to_string(skipped) + " more PNG text chunks were not read (over "
                                         + std::to_string(kMaxTextChunks) + " chunks or "
                                         + std::to_string(kMaxTextPerFile >> 20) + " MB of text per file)");
        }
    } tally{facts, textSkipped};
    for (int chunks = 0; chunks < 100000 && at < b.size; ++chunks) {
        if (!b.has(at, 8)) {
            facts.problems.push_back("PNG file ends inside a chunk header; the end of the file was not read");
            return;
        }
        const std::uint32_t length = be32(b.data + at);
        const std::string type = b.text(at + 4, 4);
        const std::size_t body = at + 8;
        if (!b.has(body, length)) {
            facts.problems.push_back("PNG chunk \"" + clean(type) + "\" runs past the end of the file; later chunks were not read");
            return;
        }
        const bool isText = type == "tEXt" || type == "zTXt" || type == "iTXt";
        if (isText && (textChunks >= kMaxTextChunks || textRead >= kMaxTextPerFile)) {
            ++textSkipped;
            at = body + std::size_t(length) + 4;
            continue;
        }
        if (isText) {
            ++textChunks;
            textRead += length;
        }
        const std::size_t inflateLimit = std::min(kMaxInflated, kMaxTextPerFile - std::min(textRead, kMaxTextPerFile));
        const std::string data = b.text(body, length);
        if (type == "tEXt") {
            const std::size_t nul = data.find('\0');
            if (nul != std::string::npos)
                noteTextChunk(facts, data.substr(0, nul), data.substr(nul + 1));
        } else if (type == "zTXt") {
            const std::size_t nul = data.find('\0');
            std::string text;
            if (nul != std::string::npos && nul + 2 <= data.size() &&
                inflateText(b.data + body + nul + 2, length - nul - 2, text, inflateLimit)) {
                textRead += text.size();
                noteTextChunk(facts, data.substr(0, nul), text);
            } else {
                facts.problems.push_back("PNG zTXt chunk could not be inflated");
            }
        } else if (type == "iTXt") {
            const std::size_t nul = data.find('\0');
            if (nul != std::string::npos && nul + 3 <= data.size()) {
                const bool compressed = data[nul + 1] != 0;
                const std::size_t lang = data.find('\0', nul + 3);
                const std::size_t translated = lang == std::string::npos ? lang : data.find('\0', lang + 1);
                if (translated != std::string::npos) {
                    std::string text;
                    if (!compressed)
                        text = data.substr(translated + 1);
                    else if (!inflateText(b.data + body + translated + 1, length - translated - 1, text, inflateLimit))
                        facts.problems.push_back("PNG iTXt chunk could not be inflated");
                    textRead += compressed ? text.size() : 0;
                    noteTextChunk(facts, data.substr(0, nul), text);
                }
            }
        } else if (type == "eXIf") {
            Tiff(Bytes{b.data + body, length}, facts, "EXIF (PNG eXIf)").read();
        } else if (type == "caBX") {
            facts.c2pa = "PNG caBX chunk";
        } else if (type == "IEND") {
            return;
        }
        at = body + std::size_t(length) + 4;
    }
}

void readJpeg(const Bytes &b, ImageFacts &facts)
{
    std::size_t at = 2;
    for (int segments = 0; segments < kMaxSegments && b.has(at, 4); ++segments) {
        if (b.data[at] != 0xFF)
            return;
        const std::uint8_t marker = b.data[at + 1];
        if (marker == 0xFF) { // fill byte
            ++at;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            at += 2;
            continue;
        }
        if (marker == 0xDA || marker == 0xD9)
            return; // image data follows: metadata segments come before it
        const std::size_t length = be16(b.data + at + 2);
        if (length < 2 || !b.has(at + 2, length)) {
            facts.problems.push_back("JPEG segment runs past the end of the file; later segments were not read");
            return;
        }
        const std::size_t body = at + 4, size = length - 2;
        if (marker == 0xE1 && size > 6 && std::memcmp(b.data + body, "Exif\0\0", 6) == 0) {
            Tiff(Bytes{b.data + body + 6, size - 6}, facts, "EXIF (JPEG APP1)").read();
        } else if (marker == 0xE1 && size > 29 && b.text(body, 29) == std::string("http://ns.adobe.com/xap/1.0/\0", 29)) {
            readXmp(facts, b.text(body + 29, size - 29), "XMP (JPEG APP1)");
        } else if (marker == 0xEB && size > 2 && b.data[body] == 'J' && b.data[body + 1] == 'P' &&
                   looksLikeC2pa(b, body, size)) {
            facts.c2pa = "JPEG APP11 (JUMBF) segment";
        } else if (marker == 0xFE) {
            const std::string comment = clean(b.text(body, size));
            if (!comment.empty()) {
                facts.textChunks.emplace_back("JPEG comment", comment);
                noteSoftware(facts, "JPEG comment", comment);
            }
        }
        at += 2 + length;
    }
}

void readWebp(const Bytes &b, ImageFacts &facts)
{
    std::size_t at = 12;
    for (int chunks = 0; chunks < 100000 && b.has(at, 8); ++chunks) {
        const std::string type = b.text(at, 4);
        const std::uint32_t length = le32(b.data + at + 4);
        const std::size_t body = at + 8;
        if (!b.has(body, length)) {
            facts.problems.push_back("WebP chunk runs past the end of the file; later chunks were not read");
            return;
        }
        if (type == "EXIF") {
            // The "Exif\0\0" prefix only counts inside the chunk: a shorter chunk followed by one
            // in the file made length - 6 wrap around (found by fuzz_image_facts).
            const std::size_t skip = length >= 6 && b.text(body, 6) == std::string("Exif\0\0", 6) ? 6 : 0;
            Tiff(Bytes{b.data + body + skip, length - skip}, facts, "EXIF (WebP)").read();
        } else if (type == "XMP ") {
            readXmp(facts, b.text(body, length), "XMP (WebP)");
        } else if (type == "C2PA") {
            facts.c2pa = "WebP C2PA chunk";
        }
        at = body + length + (length & 1);
    }
}

} // namespace

ImageFacts readImageFacts(const std::uint8_t *data, std::size_t size)
{
    ImageFacts facts;
    const Bytes b{data, size};
    if (size >= 8 && std::memcmp(data, "\x89PNG\r\n\x1A\n", 8) == 0)
        readPng(b, facts);
    else if (size >= 3 && std::memcmp(data, "\xFF\xD8\xFF", 3) == 0)
        readJpeg(b, facts);
    else if (size >= 12 && std::memcmp(data, "RIFF", 4) == 0 && std::memcmp(data + 8, "WEBP", 4) == 0)
        readWebp(b, facts);
    else if (size >= 4 && (std::memcmp(data, "II*\0", 4) == 0 || std::memcmp(data, "MM\0*", 4) == 0))
        Tiff(b, facts, "TIFF tags").read();
    return facts;
}

Orientation orientationTransform(int exifOrientation)
{
    switch (exifOrientation) {
    case 2: return {true, 0};
    case 3: return {false, 180};
    case 4: return {true, 180};
    case 5: return {true, 270};
    case 6: return {false, 90};
    case 7: return {true, 90};
    case 8: return {false, 270};
    default: return {false, 0};
    }
}

} // namespace rine
