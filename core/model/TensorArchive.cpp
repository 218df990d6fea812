#include "TensorArchive.h"

#include "util/Json.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>

#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

namespace rine {

namespace {

// Weight files larger than this are refused before they are read into memory.
constexpr std::uint64_t kMaxWeightFileBytes = 8ull << 30;
// Budgets of the pickle machine: a weight file's data.pkl is a few hundred kB and a few
// hundred thousand objects (ViT-L/14 as TorchScript: ~120 kB); anything far beyond is refused
// at once, so that a hostile file costs at most about 300 MB and a second.
constexpr std::uint64_t kMaxPickleBytes = 64ull << 20;
constexpr std::size_t kMaxPickleObjects = 2000000;
constexpr std::size_t kMaxTensorVisits = 4000000; // walking the unpickled objects for tensors

struct ArchiveError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The archive bytes as the zip reader sees them. LibTorch's own MemoryReadAdapter copies
// whatever range it is asked for; on a truncated archive miniz asks past the end (found by
// AddressSanitizer), so reads here are clipped to the buffer and come back short instead.
class BoundedMemoryAdapter final : public caffe2::serialize::ReadAdapterInterface {
public:
    BoundedMemoryAdapter(const std::uint8_t *data, std::size_t size) : m_data(data), m_size(size) {}
    size_t size() const override { return m_size; }
    size_t read(uint64_t pos, void *buf, size_t n, const char * /*what*/ = "") const override
    {
        if (pos >= m_size)
            return 0;
        const std::size_t count = std::min<std::uint64_t>(n, m_size - pos);
        std::memcpy(buf, m_data + pos, count);
        return count;
    }

private:
    const std::uint8_t *m_data;
    std::size_t m_size;
};

// One record of the zip archive as its central directory declares it.
struct Record {
    std::uint16_t method = 0; // 0 stored, 8 deflated
    std::uint64_t size = 0; // uncompressed
    std::uint64_t compressedSize = 0;
};

// The archive's central directory, read with every size and offset checked against the
// bytes there are, before LibTorch's zip reader is asked for anything: a record is only
// read when it is stored (torch.save and torch.jit.save store data.pkl and the tensors;
// they compress only TorchScript's code, which is never read here) and lies inside the file,
// so no record can make us allocate more than the file holds.
class ZipDirectory {
public:
    explicit ZipDirectory(const std::vector<std::uint8_t> &data) : m_data(data) {}

    // "" or what is wrong.
    std::string read()
    {
        const std::size_t size = m_data.size();
        if (size < 22)
            return "too short for a zip archive";
        std::size_t end = std::string::npos;
        for (std::size_t at = size - 22 + 1; at-- > 0 && size - at <= 22 + 65535;)
            if (u32(at) == 0x06054b50) {
                end = at;
                break;
            }
        if (end == std::string::npos)
            return "no zip end record (truncated?)";
        std::uint64_t entries = u16(end + 10), directorySize = u32(end + 12), directoryOffset = u32(end + 16);
        if (entries == 0xffff || directorySize == 0xffffffff || directoryOffset == 0xffffffff) {
            if (end < 20 || u32(end - 20) != 0x07064b50)
                return "zip64 archive without its locator";
            const std::uint64_t zip64 = u64(end - 20 + 8);
            if (zip64 > size - 56 || u32(std::size_t(zip64)) != 0x06064b50)
                return "zip64 end record outside the file";
            entries = u64(std::size_t(zip64) + 32);
            directorySize = u64(std::size_t(zip64) + 40);
            directoryOffset = u64(std::size_t(zip64) + 48);
        }
        if (directoryOffset > size || directorySize > size - directoryOffset || entries > directorySize / 46)
            return "central directory outside the file";
        std::size_t at = std::size_t(directoryOffset);
        const std::size_t stop = std::size_t(directoryOffset + directorySize);
        for (std::uint64_t n = 0; n < entries; ++n) {
            if (at > stop || stop - at < 46 || u32(at) != 0x02014b50)
                return "damaged central directory";
            Record record;
            record.method = u16(at + 10);
            record.compressedSize = u32(at + 20);
            record.size = u32(at + 24);
            const std::size_t nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32);
            const std::size_t variable = nameLength + extraLength + commentLength;
            if (stop - at - 46 < variable)
                return "damaged central directory";
            std::string name(reinterpret_cast<const char *>(m_data.data() + at + 46), nameLength);
            // zip64: the sizes that do not fit 32 bits are in the extra field 0x0001, in order.
            std::size_t extra = at + 46 + nameLength;
            const std::size_t extraEnd = extra + extraLength;
            while (extraEnd - extra >= 4) {
                const std::size_t id = u16(extra), length = u16(extra + 2);
                if (extraEnd - extra - 4 < length)
                    return "damaged zip64 field";
                if (id == 0x0001) {
                    std::size_t field = extra + 4;
                    for (std::uint64_t *value : {&record.size, &record.compressedSize})
                        if (*value == 0xffffffff) {
                            if (field + 8 > extra + 4 + length)
                                return "damaged zip64 field";
                            *value = u64(field);
                            field += 8;
                        }
                }
                extra += 4 + length;
            }
            // PyTorch's archives put every record under one folder ("archive/data.pkl"), and
            // its reader takes that folder from the first entry: records elsewhere are not
            // what it would read.
            const std::size_t slash = name.find('/');
            if (n == 0)
                m_folder = name.substr(0, slash);
            if (slash != std::string::npos && name.compare(0, slash, m_folder) == 0 && slash == m_folder.size())
                m_records[name.substr(slash + 1)] = record;
            at += 46 + variable;
        }
        return {};
    }

    // A record that may be read: stored, and no larger than the file.
    const Record *find(const std::string &name) const
    {
        const auto it = m_records.find(name);
        if (it == m_records.end())
            return nullptr;
        const Record &record = it->second;
        if (record.method != 0 || record.size != record.compressedSize || record.size > m_data.size())
            throw std::runtime_error("its record " + name + " is "
                                     + (record.method != 0 ? "compressed (method " + std::to_string(record.method) + ")"
                                                           : std::string("larger than the file"))
                                     + ", which PyTorch never writes; refusing to read it");
        return &record;
    }

private:
    std::uint64_t le(std::size_t at, std::size_t n) const
    {
        if (at > m_data.size() || m_data.size() - at < n)
            throw std::runtime_error("zip structure runs past the end of the file");
        std::uint64_t v = 0;
        for (std::size_t k = 0; k < n; ++k)
            v |= std::uint64_t(m_data[at + k]) << (8 * k);
        return v;
    }
    std::uint32_t u16(std::size_t at) const { return std::uint32_t(le(at, 2)); }
    std::uint32_t u32(std::size_t at) const { return std::uint32_t(le(at, 4)); }
    std::uint64_t u64(std::size_t at) const { return le(at, 8); }

    const std::vector<std::uint8_t> &m_data;
    std::string m_folder;
    std::map<std::string, Record> m_records;
};

struct PyObj;
using PyRef = std::shared_ptr<PyObj>;

// One Python value of the restricted pickle machine.
struct PyObj {
    enum class Kind { None, Bool, Int, Float, String, Bytes, Tuple, List, Dict, Global, Object, Tensor, Storage, Mark };
    Kind kind = Kind::None;
    std::int64_t i = 0;
    double f = 0;
    std::string s; // String, Bytes, Global ("module.name"), Object (class name), Storage (record key)
    std::vector<PyRef> items; // Tuple, List
    std::vector<std::pair<PyRef, PyRef>> entries; // Dict
    PyRef state; // Object, after BUILD
    at::Tensor tensor; // Tensor, once materialised (only the tensors collected are)
    PyRef storage; // Tensor: its storage, read when the tensor is collected
    std::vector<std::int64_t> sizes, strides; // Tensor
    std::int64_t offset = 0; // Tensor
    at::ScalarType dtype = at::kFloat; // Storage
    std::int64_t numel = 0; // Storage
};

PyRef make(PyObj::Kind kind)
{
    auto obj = std::make_shared<PyObj>();
    obj->kind = kind;
    return obj;
}

PyRef makeString(PyObj::Kind kind, std::string s)
{
    auto obj = make(kind);
    obj->s = std::move(s);
    return obj;
}

PyRef makeInt(std::int64_t v)
{
    auto obj = make(PyObj::Kind::Int);
    obj->i = v;
    return obj;
}

const std::map<std::string, at::ScalarType> &storageTypes()
{
    static const std::map<std::string, at::ScalarType> types = {
        {"torch.FloatStorage", at::kFloat},   {"torch.HalfStorage", at::kHalf},
        {"torch.DoubleStorage", at::kDouble}, {"torch.BFloat16Storage", at::kBFloat16},
        {"torch.LongStorage", at::kLong},     {"torch.IntStorage", at::kInt},
        {"torch.ShortStorage", at::kShort},   {"torch.CharStorage", at::kChar},
        {"torch.ByteStorage", at::kByte},     {"torch.BoolStorage", at::kBool},
    };
    return types;
}

bool isAllowedGlobal(const std::string &name)
{
    return name == "collections.OrderedDict" || name == "torch._utils._rebuild_tensor_v2"
        || name == "torch._utils._rebuild_parameter" || storageTypes().count(name) > 0
        // LibTorch's own pickler (torch::pickle_save) tags typed dicts with their type.
        || name == "torch.jit._pickle.restore_type_tag"
        // The training code's checkpoints (SPAI's) store their configuration, a dict
        // subclass: taken as a plain dict, its class never looked up.
        || name == "yacs.config.CfgNode"
        // TorchScript archives describe their modules as __torch__ classes; they are created
        // as inert attribute holders here, their code is never looked at.
        || name.rfind("__torch__.", 0) == 0;
}

// Interprets data.pkl. Only the opcodes that torch.save and TorchScript emit are known.
class Unpickler {
public:
    using StorageLoader = std::function<at::Tensor(const std::string &key, at::ScalarType, std::int64_t numel)>;

    Unpickler(const std::uint8_t *data, std::size_t size, StorageLoader loader)
        : m_data(data), m_size(size), m_loader(std::move(loader))
    {
    }
    ~Unpickler() { release(); }
    Unpickler(const Unpickler &) = delete;
    Unpickler &operator=(const Unpickler &) = delete;

    // Cuts every link between the objects made, so that freeing them is flat: a deeply nested
    // structure (a list in a list, a million deep) freed through its links would recurse as
    // deep and overflow the stack. Tensors are kept. Call before the root is dropped.
    void release()
    {
        for (const PyRef &object : m_made) {
            object->items.clear();
            object->entries.clear();
            object->state.reset();
        }
        m_made.clear();
    }

    PyRef run()
    {
        while (true) {
            const std::size_t at = m_pos;
            const std::uint8_t op = u8();
            switch (op) {
            case 0x80: u8(); break; // PROTO
            case 0x95: bytes(8); break; // FRAME
            case '.': // STOP
                if (m_stack.empty())
                    fail(at, "empty stack at STOP");
                return m_stack.back();
            case '(': push(make(PyObj::Kind::Mark)); break;
            case ')': push(make(PyObj::Kind::Tuple)); break;
            case ']': push(make(PyObj::Kind::List)); break;
            case '}': push(make(PyObj::Kind::Dict)); break;
            case 'N': push(make(PyObj::Kind::None)); break;
            case 0x88: case 0x89: { auto b = make(PyObj::Kind::Bool); b->i = op == 0x88; push(b); break; }
            case 'K': push(makeInt(u8())); break;
            case 'M': push(makeInt(std::int64_t(le(2)))); break;
            case 'J': push(makeInt(std::int32_t(le(4)))); break;
            case 0x8a: { // LONG1
                const std::size_t n = u8();
                if (n > 8)
                    fail(at, "integer too large");
                std::uint64_t v = le(n);
                if (n > 0 && n < 8 && (v >> (8 * n - 1)) & 1)
                    v |= ~0ull << (8 * n);
                push(makeInt(std::int64_t(v)));
                break;
            }
            case 'G': { // BINFLOAT, big-endian
                std::uint64_t v = 0;
                for (int k = 0; k < 8; ++k)
                    v = (v << 8) | u8();
                auto f = make(PyObj::Kind::Float);
                std::memcpy(&f->f, &v, 8);
                push(f);
                break;
            }
            case 'X': push(makeString(PyObj::Kind::String, bytes(le(4)))); break;
            case 0x8c: push(makeString(PyObj::Kind::String, bytes(u8()))); break;
            case 0x8d: push(makeString(PyObj::Kind::String, bytes(le(8)))); break;
            case 'U': push(makeString(PyObj::Kind::String, bytes(u8()))); break;
            case 'T': push(makeString(PyObj::Kind::String, bytes(le(4)))); break;
            case 'C': push(makeString(PyObj::Kind::Bytes, bytes(u8()))); break;
            case 'B': push(makeString(PyObj::Kind::Bytes, bytes(le(4)))); break;
            case 'c': { // GLOBAL
                std::string module = line(), name = line();
                pushGlobal(at, module + "." + name);
                break;
            }
            case 0x93: { // STACK_GLOBAL
                PyRef name = pop(), module = pop();
                if (module->kind != PyObj::Kind::String || name->kind != PyObj::Kind::String)
                    fail(at, "STACK_GLOBAL needs two strings");
                pushGlobal(at, module->s + "." + name->s);
                break;
            }
            case 't': { auto t = make(PyObj::Kind::Tuple); t->items = popToMark(); push(t); break; }
            case 'l': { auto t = make(PyObj::Kind::List); t->items = popToMark(); push(t); break; }
            case 'd': {
                auto items = popToMark();
                auto d = make(PyObj::Kind::Dict);
                if (items.size() % 2)
                    fail(at, "odd number of items for DICT");
                for (std::size_t k = 0; k < items.size(); k += 2)
                    d->entries.emplace_back(items[k], items[k + 1]);
                push(d);
                break;
            }
            case 0x85: case 0x86: case 0x87: {
                const std::size_t n = op - 0x84;
                auto t = make(PyObj::Kind::Tuple);
                t->items.resize(n);
                for (std::size_t k = n; k-- > 0;)
                    t->items[k] = pop();
                push(t);
                break;
            }
            case 'a': { PyRef v = pop(); expect(top(), PyObj::Kind::List, at)->items.push_back(v); break; }
            case 'e': {
                auto items = popToMark();
                auto &list = expect(top(), PyObj::Kind::List, at)->items;
                list.insert(list.end(), items.begin(), items.end());
                break;
            }
            case 's': {
                PyRef v = pop(), k = pop();
                expect(top(), PyObj::Kind::Dict, at)->entries.emplace_back(k, v);
                break;
            }
            case 'u': {
                auto items = popToMark();
                if (items.size() % 2)
                    fail(at, "odd number of items for SETITEMS");
                auto &dict = expect(top(), PyObj::Kind::Dict, at)->entries;
                for (std::size_t k = 0; k < items.size(); k += 2)
                    dict.emplace_back(items[k], items[k + 1]);
                break;
            }
            case 'q': memoPut(u8()); break;
            case 'r': memoPut(le(4)); break;
            case 0x94: memoPut(m_memo.size()); break;
            case 'h': push(memoGet(at, u8())); break;
            case 'j': push(memoGet(at, le(4))); break;
            case '0': pop(); break;
            case '1': popToMark(); break;
            case '2': push(top()); break;
            case 'Q': push(persistentLoad(at, pop())); break;
            case 'R': { PyRef args = pop(), callable = pop(); push(call(at, callable, args)); break; }
            case 0x81: { PyRef args = pop(), cls = pop(); push(call(at, cls, args)); break; }
            case 'b': { // BUILD
                PyRef state = pop();
                PyRef obj = top();
                if (obj->kind == PyObj::Kind::Object)
                    obj->state = state;
                // An OrderedDict's BUILD carries `_metadata` (module versions); not weights.
                break;
            }
            default: {
                std::ostringstream msg;
                msg << "unsupported pickle opcode 0x" << std::hex << int(op);
                fail(at, msg.str());
            }
            }
        }
    }

private:
    [[noreturn]] void fail(std::size_t at, const std::string &what) const
    {
        throw ArchiveError("data.pkl at byte " + std::to_string(at) + ": " + what);
    }

    std::uint8_t u8()
    {
        if (m_pos >= m_size)
            fail(m_pos, "pickle ends early (file truncated?)");
        return m_data[m_pos++];
    }
    std::uint64_t le(std::size_t n)
    {
        std::uint64_t v = 0;
        for (std::size_t k = 0; k < n; ++k)
            v |= std::uint64_t(u8()) << (8 * k);
        return v;
    }
    std::string bytes(std::uint64_t n)
    {
        if (n > m_size - m_pos)
            fail(m_pos, "string runs past the end of the pickle");
        std::string out(reinterpret_cast<const char *>(m_data + m_pos), std::size_t(n));
        m_pos += std::size_t(n);
        return out;
    }
    std::string line()
    {
        std::string out;
        for (std::uint8_t c = u8(); c != '\n'; c = u8())
            out += char(c);
        return out;
    }

    void push(PyRef v)
    {
        if (m_stack.size() > 1000000)
            fail(m_pos, "pickle stack too deep");
        // Every object passes through the stack once it is made; a reference pushed again
        // (memo, DUP) is the same object, and counts against the same budget.
        if (m_made.size() >= kMaxPickleObjects)
            fail(m_pos, "more than " + std::to_string(kMaxPickleObjects) + " objects, far more than a weight file holds");
        m_made.push_back(v);
        m_stack.push_back(std::move(v));
    }
    PyRef pop()
    {
        if (m_stack.empty())
            fail(m_pos, "pickle stack underflow");
        PyRef v = m_stack.back();
        m_stack.pop_back();
        return v;
    }
    PyRef top()
    {
        if (m_stack.empty())
            fail(m_pos, "pickle stack underflow");
        return m_stack.back();
    }
    std::vector<PyRef> popToMark()
    {
        std::vector<PyRef> items;
        while (true) {
            PyRef v = pop();
            if (v->kind == PyObj::Kind::Mark)
                break;
            items.push_back(v);
        }
        return {items.rbegin(), items.rend()};
    }
    PyRef expect(PyRef v, PyObj::Kind kind, std::size_t at)
    {
        if (v->kind != kind)
            fail(at, "unexpected value type on the pickle stack");
        return v;
    }
    void memoPut(std::uint64_t key) { m_memo[key] = top(); }
    PyRef memoGet(std::size_t at, std::uint64_t key)
    {
        auto it = m_memo.find(key);
        if (it == m_memo.end())
            fail(at, "reference to an unknown memo entry");
        return it->second;
    }

    void pushGlobal(std::size_t at, const std::string &name)
    {
        if (!isAllowedGlobal(name))
            fail(at, "refers to the Python object '" + name
                         + "', which a weight file does not need; refusing to load it");
        push(makeString(PyObj::Kind::Global, name));
    }

    PyRef persistentLoad(std::size_t at, const PyRef &pid)
    {
        // ('storage', torch.XStorage, key, location, numel); location (e.g. 'cuda:0') is
        // ignored: every storage is materialised on the CPU.
        if (pid->kind != PyObj::Kind::Tuple || pid->items.size() < 5 || pid->items[0]->s != "storage")
            fail(at, "unknown persistent id");
        const PyRef &type = pid->items[1];
        const auto typeIt = storageTypes().find(type->s);
        if (type->kind != PyObj::Kind::Global || typeIt == storageTypes().end())
            fail(at, "unknown storage type");
        if (pid->items[2]->kind != PyObj::Kind::String || pid->items[4]->kind != PyObj::Kind::Int)
            fail(at, "malformed storage reference");
        auto storage = make(PyObj::Kind::Storage);
        storage->s = pid->items[2]->s;
        storage->dtype = typeIt->second;
        storage->numel = pid->items[4]->i;
        if (storage->numel < 0)
            fail(at, "negative storage size");
        return storage;
    }

    at::Tensor storageTensor(std::size_t at, const PyObj &storage)
    {
        auto it = m_storages.find(storage.s);
        if (it != m_storages.end())
            return it->second;
        at::Tensor flat = m_loader(storage.s, storage.dtype, storage.numel);
        if (!flat.defined())
            fail(at, "missing storage record data/" + storage.s);
        m_storages.emplace(storage.s, flat);
        return flat;
    }

    static std::vector<std::int64_t> intTuple(const PyRef &v, bool &ok)
    {
        std::vector<std::int64_t> out;
        ok = v->kind == PyObj::Kind::Tuple || v->kind == PyObj::Kind::List;
        for (const PyRef &item : v->items) {
            ok = ok && item->kind == PyObj::Kind::Int;
            out.push_back(item->i);
        }
        return out;
    }

    PyRef rebuildTensor(std::size_t at, const PyRef &args)
    {
        if (args->items.size() < 4 || args->items[0]->kind != PyObj::Kind::Storage
            || args->items[1]->kind != PyObj::Kind::Int)
            fail(at, "malformed tensor record");
        bool okSize = false, okStride = false;
        const auto sizes = intTuple(args->items[2], okSize);
        const auto strides = intTuple(args->items[3], okStride);
        const std::int64_t offset = args->items[1]->i;
        if (!okSize || !okStride || sizes.size() != strides.size() || offset < 0)
            fail(at, "malformed tensor shape");
        // Bounds are checked against the declared storage before anything is allocated.
        const PyObj &storage = *args->items[0];
        std::int64_t last = offset;
        bool empty = false;
        if (sizes.size() > 64)
            fail(at, "tensor has more than 64 dimensions");
        for (std::size_t d = 0; d < sizes.size(); ++d) {
            if (sizes[d] < 0 || strides[d] < 0 || sizes[d] > (std::int64_t(1) << 40)
                || strides[d] > (std::int64_t(1) << 40))
                fail(at, "tensor shape out of range");
            empty = empty || sizes[d] == 0;
            std::int64_t span = 0;
            if (sizes[d] > 0 && (__builtin_mul_overflow(sizes[d] - 1, strides[d], &span)
                                 || __builtin_add_overflow(last, span, &last)))
                fail(at, "tensor shape out of range (its extent overflows)");
        }
        if (!empty && last >= storage.numel)
            fail(at, "tensor extends past its storage (shape " + shapeString(sizes) + ")");
        // No more elements than its storage holds: a view that repeats elements (stride 0)
        // would otherwise make a tiny file stand for a huge model.
        std::int64_t elements = 1;
        for (std::int64_t size : sizes)
            if (__builtin_mul_overflow(elements, size, &elements))
                fail(at, "tensor shape out of range");
        if (elements > storage.numel)
            fail(at, "tensor of shape " + shapeString(sizes) + " has more elements than its storage of "
                         + std::to_string(storage.numel) + " (repeated by zero strides); not written by torch.save");
        // Read when collected: the tensors of a checkpoint's optimizer state are never read.
        auto t = make(PyObj::Kind::Tensor);
        t->storage = args->items[0];
        t->sizes = sizes;
        t->strides = strides;
        t->offset = offset;
        return t;
    }

public:
    // The tensor of a record made by rebuildTensor (its storage read once, on first use).
    at::Tensor materialize(PyObj &tensor)
    {
        if (!tensor.tensor.defined()) {
            at::Tensor flat = storageTensor(0, *tensor.storage);
            bool empty = false;
            for (std::int64_t size : tensor.sizes)
                empty = empty || size == 0;
            tensor.tensor = empty ? at::empty(tensor.sizes, flat.options())
                                  : flat.as_strided(tensor.sizes, tensor.strides, tensor.offset);
        }
        return tensor.tensor;
    }

private:

    PyRef call(std::size_t at, const PyRef &callable, const PyRef &args)
    {
        if (callable->kind != PyObj::Kind::Global || args->kind != PyObj::Kind::Tuple)
            fail(at, "call of something that is not an allowed global");
        const std::string &name = callable->s;
        if (name == "collections.OrderedDict" || name == "yacs.config.CfgNode")
            return make(PyObj::Kind::Dict);
        if (name == "torch._utils._rebuild_tensor_v2")
            return rebuildTensor(at, args);
        if (name == "torch._utils._rebuild_parameter") {
            if (args->items.empty() || args->items[0]->kind != PyObj::Kind::Tensor)
                fail(at, "malformed parameter record");
            return args->items[0];
        }
        if (name == "torch.jit._pickle.restore_type_tag") {
            if (args->items.empty())
                fail(at, "malformed type tag");
            return args->items[0];
        }
        if (name.rfind("__torch__.", 0) == 0) {
            auto obj = make(PyObj::Kind::Object);
            obj->s = name;
            return obj;
        }
        fail(at, "cannot call '" + name + "'");
    }

    const std::uint8_t *m_data;
    std::size_t m_size;
    std::size_t m_pos = 0;
    StorageLoader m_loader;
    std::vector<PyRef> m_stack;
    std::unordered_map<std::uint64_t, PyRef> m_memo;
    std::map<std::string, at::Tensor> m_storages;
    std::vector<PyRef> m_made; // every object pushed, for release()
};

// Flattens nested dicts and TorchScript module objects into dotted tensor names.
// Objects shared between several parents are walked once per path (tied weights get every
// name); `visits` bounds the walk, which a file of shared sub-objects could otherwise make
// exponential (each level holding the next twice).
using Materialize = std::function<at::Tensor(PyObj &)>;

void collectTensors(const PyRef &value, const std::string &prefix, int depth,
                    std::set<const PyObj *> &seen, std::vector<std::pair<std::string, at::Tensor>> &out,
                    std::size_t &visits, const Materialize &materialize)
{
    if (++visits > kMaxTensorVisits)
        throw ArchiveError("its objects refer to each other over " + std::to_string(kMaxTensorVisits)
                           + " times, far more than a weight file does");
    if (depth > 64 || !seen.insert(value.get()).second)
        return;
    switch (value->kind) {
    case PyObj::Kind::Tensor:
        out.emplace_back(prefix, value->tensor.defined() ? value->tensor : materialize(*value));
        break;
    case PyObj::Kind::Dict:
        for (const auto &[key, item] : value->entries) {
            if (key->kind != PyObj::Kind::String)
                continue;
            collectTensors(item, prefix.empty() ? key->s : prefix + "." + key->s, depth + 1, seen, out, visits,
                           materialize);
        }
        break;
    case PyObj::Kind::Object:
        if (value->state)
            collectTensors(value->state, prefix, depth + 1, seen, out, visits, materialize);
        break;
    default:
        break;
    }
    seen.erase(value.get());
}

// The plain values under a checkpoint's config, by dotted key; within budgets (a config
// holds a few hundred values, nested a few levels).
constexpr std::size_t kMaxConfigValues = 20000;

bool plainValue(const PyRef &value, TensorArchive::Value &out, int depth, std::size_t &count)
{
    using Kind = TensorArchive::Value::Kind;
    if (++count > kMaxConfigValues || depth > 8)
        throw ArchiveError("its config holds more than " + std::to_string(kMaxConfigValues)
                           + " values or lists nested deeper than 8");
    switch (value->kind) {
    case PyObj::Kind::None: out.kind = Kind::None; return true;
    case PyObj::Kind::Bool: out.kind = Kind::Bool; out.i = value->i; return true;
    case PyObj::Kind::Int: out.kind = Kind::Int; out.i = value->i; return true;
    case PyObj::Kind::Float: out.kind = Kind::Float; out.f = value->f; return true;
    case PyObj::Kind::String: out.kind = Kind::String; out.s = value->s; return true;
    case PyObj::Kind::List:
    case PyObj::Kind::Tuple:
        out.kind = Kind::List;
        for (const PyRef &item : value->items) {
            TensorArchive::Value v;
            if (plainValue(item, v, depth + 1, count))
                out.items.push_back(std::move(v));
        }
        return true;
    default: return false;
    }
}

void collectConfig(const PyRef &dict, const std::string &prefix, int depth, std::size_t &count,
                   std::vector<std::pair<std::string, TensorArchive::Value>> &out)
{
    if (depth > 16)
        throw ArchiveError("its config is nested deeper than 16 levels");
    for (const auto &[key, item] : dict->entries) {
        if (key->kind != PyObj::Kind::String)
            continue;
        const std::string name = prefix.empty() ? key->s : prefix + "." + key->s;
        if (item->kind == PyObj::Kind::Dict) {
            collectConfig(item, name, depth + 1, count, out);
            continue;
        }
        TensorArchive::Value value;
        if (plainValue(item, value, 0, count))
            out.emplace_back(name, std::move(value));
    }
}

// A checkpoint's entry by key, when the root is a dict that has it.
PyRef entryOf(const PyRef &root, const char *key)
{
    if (root->kind != PyObj::Kind::Dict)
        return nullptr;
    for (const auto &[k, v] : root->entries)
        if (k->kind == PyObj::Kind::String && k->s == key)
            return v;
    return nullptr;
}

} // namespace

const TensorArchive::Value *TensorArchive::configValue(const std::string &key) const
{
    for (const auto &[name, value] : config)
        if (name == key)
            return &value;
    return nullptr;
}

const at::Tensor *TensorArchive::find(const std::string &name) const
{
    for (const auto &[key, tensor] : tensors)
        if (key == name)
            return &tensor;
    return nullptr;
}

std::string shapeString(at::IntArrayRef sizes)
{
    std::string out = "[";
    for (std::size_t d = 0; d < sizes.size(); ++d)
        out += (d ? ", " : "") + std::to_string(sizes[d]);
    return out + "]";
}

namespace {

bool looksLikeSafeTensors(const FileBytes &file)
{
    if (file.data.size() < 10)
        return false;
    std::uint64_t header = 0;
    std::memcpy(&header, file.data.data(), 8);
    return header > 1 && header <= file.data.size() - 8 && file.data[8] == '{';
}

// safetensors: an 8-byte little-endian header length, a JSON header naming each tensor's
// dtype, shape and [begin, end) byte range, then the data. No code, no pickle.
Result<TensorArchive> readSafeTensors(const FileBytes &file)
{
    using R = Result<TensorArchive>;
    static const std::map<std::string, at::ScalarType> dtypes = {
        {"F32", at::kFloat}, {"F16", at::kHalf}, {"BF16", at::kBFloat16}, {"F64", at::kDouble},
        {"I64", at::kLong},  {"I32", at::kInt},  {"I16", at::kShort},     {"I8", at::kChar},
        {"U8", at::kByte},   {"BOOL", at::kBool},
    };
    const std::string &path = file.path;
    std::uint64_t headerSize = 0;
    std::memcpy(&headerSize, file.data.data(), 8);
    auto header = parseJson(reinterpret_cast<const char *>(file.data.data() + 8), std::size_t(headerSize));
    if (!header || header->kind != JsonValue::Kind::Object)
        return R::failure(path + ": damaged safetensors header (" + header.error() + ")");
    const std::uint8_t *base = file.data.data() + 8 + headerSize;
    const std::uint64_t available = file.data.size() - 8 - headerSize;

    TensorArchive archive;
    archive.path = path;
    archive.sha256 = file.sha256;
    archive.format = TensorArchive::Format::SafeTensors;
    for (const auto &[name, entry] : header->object) {
        if (name == "__metadata__")
            continue;
        const JsonValue *dtype = entry.find("dtype");
        const JsonValue *shape = entry.find("shape");
        const JsonValue *offsets = entry.find("data_offsets");
        if (!dtype || !shape || !offsets || shape->kind != JsonValue::Kind::Array
            || offsets->kind != JsonValue::Kind::Array || offsets->array.size() != 2)
            return R::failure(path + ": tensor '" + name + "' has a malformed header entry");
        const auto type = dtypes.find(dtype->string);
        if (type == dtypes.end())
            return R::failure(path + ": tensor '" + name + "' has unsupported dtype '" + dtype->string + "'");
        std::vector<std::int64_t> sizes;
        std::uint64_t numel = 1;
        if (shape->array.size() > 64)
            return R::failure(path + ": tensor '" + name + "' has more than 64 dimensions");
        for (const JsonValue &d : shape->array) {
            if (!d.isInteger || d.integer < 0 || d.integer > (std::int64_t(1) << 40))
                return R::failure(path + ": tensor '" + name + "' has a bad shape");
            sizes.push_back(d.integer);
            if (__builtin_mul_overflow(numel, std::uint64_t(d.integer), &numel) || numel > (std::uint64_t(1) << 40))
                return R::failure(path + ": tensor '" + name + "' is too large");
        }
        const JsonValue &begin = offsets->array[0], &end = offsets->array[1];
        if (!begin.isInteger || !end.isInteger || begin.integer < 0 || end.integer < begin.integer
            || std::uint64_t(end.integer) > available)
            return R::failure(path + ": tensor '" + name + "' lies outside the file (truncated?)");
        const std::uint64_t bytes = numel * c10::elementSize(type->second);
        if (std::uint64_t(end.integer - begin.integer) != bytes)
            return R::failure(path + ": tensor '" + name + "' holds " + std::to_string(end.integer - begin.integer)
                              + " bytes, its shape " + shapeString(sizes) + " needs " + std::to_string(bytes));
        at::Tensor t = at::empty(sizes, at::TensorOptions().dtype(type->second));
        if (bytes)
            std::memcpy(t.data_ptr(), base + begin.integer, std::size_t(bytes));
        archive.tensors.emplace_back(name, t);
    }
    if (archive.tensors.empty())
        return R::failure(path + ": the file holds no tensors");
    return archive;
}

} // namespace

Result<TensorArchive> readTensorArchive(const FileBytes &file)
{
    using R = Result<TensorArchive>;
    const std::string &path = file.path;
    if (looksLikeSafeTensors(file))
        return readSafeTensors(file);
    if (file.data.size() < 4 || std::memcmp(file.data.data(), "PK\x03\x04", 4) != 0) {
        if (!file.data.empty() && file.data[0] == 0x80)
            return R::failure(path + ": legacy (pre-1.6) torch.save format is not supported; "
                                     "re-save it with a current PyTorch (torch.save writes a zip archive)");
        return R::failure(path + ": not a PyTorch weight file (expected a zip archive written by "
                                 "torch.save or torch.jit.save, or a safetensors file)");
    }
    try {
        ZipDirectory directory(file.data);
        if (const std::string damaged = directory.read(); !damaged.empty())
            return R::failure(path + ": damaged or truncated archive (" + damaged + "); download the file again");
        if (!directory.find("data.pkl"))
            return R::failure(path + ": archive has no data.pkl record; not a PyTorch weight file");
        // LibTorch's reader reads the version record as it opens the archive.
        for (const char *version : {"version", ".data/version"})
            if (const Record *record = directory.find(version); record && record->size > 64)
                return R::failure(path + ": its " + version + " record is " + std::to_string(record->size) + " bytes");
        auto adapter = std::make_shared<BoundedMemoryAdapter>(file.data.data(), file.data.size());
        caffe2::serialize::PyTorchStreamReader reader(adapter);
        if (!reader.hasRecord("data.pkl"))
            return R::failure(path + ": archive has no data.pkl record; not a PyTorch weight file");
        if (const Record *order = directory.find("byteorder"); order && order->size > 16)
            return R::failure(path + ": its byteorder record is " + std::to_string(order->size) + " bytes");
        if (reader.hasRecord("byteorder")) {
            auto [ptr, size] = reader.getRecord("byteorder");
            const std::string order(static_cast<const char *>(ptr.get()), size);
            if (order != "little")
                return R::failure(path + ": tensors are stored " + order + "-endian; only little-endian is supported");
        }

        TensorArchive archive;
        archive.path = path;
        archive.sha256 = file.sha256;
        archive.format = reader.hasRecord("constants.pkl") ? TensorArchive::Format::TorchScript
                                                           : TensorArchive::Format::StateDict;

        auto loader = [&](const std::string &key, at::ScalarType dtype, std::int64_t numel) -> at::Tensor {
            const std::string name = "data/" + key;
            if (!reader.hasRecord(name))
                return {};
            const std::uint64_t element = c10::elementSize(dtype);
            const Record *record = directory.find(name);
            if (!record || numel < 0 || std::uint64_t(numel) > record->size / element)
                throw ArchiveError("record " + name + " holds " + std::to_string(record ? record->size : 0)
                                   + " bytes, fewer than its " + std::to_string(numel) + " elements need (file "
                                   + "truncated or damaged?)");
            auto [ptr, size] = reader.getRecord(name);
            const std::uint64_t need = std::uint64_t(numel) * element;
            if (size < need)
                throw ArchiveError("record " + name + " holds " + std::to_string(size) + " bytes, "
                                   + std::to_string(need) + " expected (file truncated or damaged?)");
            // The tensor adopts the record's buffer: no second copy of a backbone-sized file.
            auto owner = std::make_shared<at::DataPtr>(std::move(ptr));
            void *data = owner->get();
            if (numel > 0 && reinterpret_cast<std::uintptr_t>(data) % c10::elementSize(dtype) != 0) {
                at::Tensor copy = at::empty({numel}, at::TensorOptions().dtype(dtype));
                std::memcpy(copy.data_ptr(), data, std::size_t(need));
                return copy;
            }
            return at::from_blob(data, {numel}, [owner](void *) mutable { owner.reset(); },
                                 at::TensorOptions().dtype(dtype));
        };

        if (directory.find("data.pkl")->size > kMaxPickleBytes)
            return R::failure(path + ": its data.pkl record is " + std::to_string(directory.find("data.pkl")->size)
                              + " bytes, over the " + std::to_string(kMaxPickleBytes)
                              + " a weight file needs; refusing to read it");
        auto [pkl, pklSize] = reader.getRecord("data.pkl");
        Unpickler unpickler(static_cast<const std::uint8_t *>(pkl.get()), pklSize, loader);
        PyRef root = unpickler.run();
        std::set<const PyObj *> seen;
        std::size_t visits = 0;
        try {
            // A training checkpoint: the model's tensors only, and its config as data.
            if (PyRef model = entryOf(root, "model"); model && model->kind == PyObj::Kind::Dict) {
                archive.root = "model";
                if (PyRef config = entryOf(root, "config"); config && config->kind == PyObj::Kind::Dict) {
                    std::size_t count = 0;
                    collectConfig(config, "", 0, count, archive.config);
                }
                root = model;
            }
            collectTensors(root, "", 0, seen, archive.tensors, visits,
                           [&](PyObj &tensor) { return unpickler.materialize(tensor); });
        } catch (...) {
            unpickler.release();
            throw;
        }
        unpickler.release();
        std::set<std::string> names;
        for (const auto &entry : archive.tensors)
            if (!names.insert(entry.first).second)
                return R::failure(path + ": tensor '" + entry.first + "' appears twice");
        if (archive.tensors.empty())
            return R::failure(path + ": the archive holds no tensors");
        return archive;
    } catch (const ArchiveError &e) {
        return R::failure(path + ": " + e.what());
    } catch (const c10::Error &e) {
        // PyTorchStreamReader reports damaged zips (truncated files, bad CRCs) this way.
        return R::failure(path + ": damaged or truncated archive (" + e.what_without_backtrace()
                          + "); download the file again");
    } catch (const std::exception &e) {
        return R::failure(path + ": cannot read: " + e.what());
    }
}

Result<TensorArchive> readTensorArchive(const std::string &path)
{
    auto bytes = readFileBytes(path, kMaxWeightFileBytes);
    if (!bytes)
        return Result<TensorArchive>::failure(bytes.error());
    return readTensorArchive(bytes.value());
}

Result<TensorArchive> readTrustedArchive(const std::string &path, const std::string &expectedSha256)
{
    auto bytes = readFileBytes(path, 8ull << 30);
    if (!bytes)
        return Result<TensorArchive>::failure(bytes.error());
    if (!expectedSha256.empty() && bytes->sha256 != expectedSha256)
        return Result<TensorArchive>::failure(path + ": the file changed after it was checked (SHA-256 " + bytes->sha256
                                              + ", checked " + expectedSha256 + "); nothing of it was read; load it again");
    return readTensorArchive(bytes.value());
}

} // namespace rine
