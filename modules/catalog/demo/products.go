package demo

// productList is the demo catalog, category by category: hand-written
// products first (the ones tests rely on among them), then template lines
// for the bulk. Codes are numbered per category in this order, so the first
// abaya is ABY-001. Prices are SAR minor units (24900 = 249.00 SAR).
func productList() []product {
	var ps []product
	add := func(p ...product) { ps = append(ps, p...) }
	expand := func(ls ...line) {
		for _, l := range ls {
			ps = append(ps, l.expand()...)
		}
	}

	// Women > Abayas.
	add(
		product{
			cat: "abayas", ar: "عباية سوداء كلاسيكية", en: "Classic Black Abaya", brand: "Layan",
			price: 24900, material: "Japanese crepe", stock: stockIn,
			axes:   []axis{colourAxis("black"), sizeAxis(sizesClothing...)},
			descAR: "عباية سوداء بقصة كلاسيكية مستقيمة من قماش الكريب الياباني، خفيفة وعملية للدوام والمشاوير اليومية. تأتي مع طرحة من نفس القماش.",
			descEN: "A classic straight-cut black abaya in Japanese crepe, light and practical for work and everyday errands. Comes with a matching tarha.",
		},
		product{
			cat: "abayas", ar: "عباية مطرزة كحلي", en: "Navy Embroidered Abaya", brand: "Layan",
			price: 38900, was: 45900, material: "Nada", stock: stockIn,
			axes:   []axis{colourAxis("navy"), sizeAxis(sizesClothing...)},
			descAR: "عباية كحلية بتطريز يدوي ناعم بخيوط فضية على الأكمام والياقة، من قماش الندى المريح الذي لا يتجعد.",
			descEN: "A navy abaya with delicate hand embroidery in silver thread on the sleeves and neckline, in a comfortable, crease-resistant nada fabric.",
		},
		product{
			cat: "abayas", ar: "عباية سوداء مخملية", en: "Black Velvet Abaya", brand: "Layan",
			price: 52900, material: "velvet", stock: stockOut,
			axes:   []axis{colourAxis("black"), sizeAxis(sizesClothing...)},
			descAR: "عباية من المخمل الفاخر بلون أسود عميق، دافئة وأنيقة لليالي الشتاء والمناسبات.",
			descEN: "A deep black abaya in luxurious velvet, warm and elegant for winter nights and special occasions.",
		},
	)
	expand(
		line{
			cat: "abayas", ar: "عباية كريب %s", en: "%s Crepe Abaya", fem: true, brand: "Layan",
			price: 19900, material: "crepe", colours: []string{"black", "beige", "grey"}, sizes: sizesClothing,
			descAR: "عباية عملية من قماش الكريب الخفيف، تنسدل بانسيابية وتناسب الاستخدام اليومي.",
			descEN: "A practical abaya in lightweight crepe that drapes softly, made for everyday wear.",
		},
		line{
			cat: "abayas", ar: "عباية %s بأكمام واسعة", en: "%s Wide-Sleeve Abaya", fem: true, brand: "Rimal",
			price: 27900, sale: true, material: "crepe", colours: []string{"black", "navy", "brown"}, sizes: sizesClothing,
			descAR: "أكمام واسعة بقصة الفراشة تمنح حرية في الحركة وإطلالة عصرية.",
			descEN: "Wide butterfly sleeves give freedom of movement and a modern look.",
		},
		line{
			cat: "abayas", ar: "عباية كتان %s مفتوحة", en: "%s Open-Front Linen Abaya", fem: true, brand: "Rimal",
			price: 32900, material: "linen", colours: []string{"beige", "olive", "white"}, sizes: sizesClothing,
			descAR: "عباية مفتوحة من الكتان الطبيعي تسمح بمرور الهواء، مثالية لأيام الصيف الحارة.",
			descEN: "An open-front abaya in breathable natural linen, ideal for hot summer days.",
		},
		line{
			cat: "abayas", ar: "عباية %s بتطريز ذهبي", en: "%s Abaya with Gold Embroidery", fem: true, brand: "Layan",
			price: 44900, material: "nada", colours: []string{"black", "maroon"}, sizes: sizesClothing,
			descAR: "تطريز ذهبي راقٍ على الأطراف يضفي لمسة احتفالية تناسب الأعياد والمناسبات.",
			descEN: "Refined gold embroidery along the edges adds a festive touch for Eid and special occasions.",
		},
		line{
			cat: "abayas", ar: "عباية رسمية %s", en: "%s Formal Abaya", fem: true, brand: "Nasij",
			price: 34900, material: "crepe", colours: []string{"black", "grey"}, sizes: sizesClothing,
			descAR: "قصة رسمية بخطوط نظيفة وجيوب جانبية مخفية، مناسبة لبيئة العمل.",
			descEN: "A formal cut with clean lines and hidden side pockets, suited to the office.",
		},
		line{
			cat: "abayas", ar: "عباية بشت %s", en: "%s Bisht-Style Abaya", fem: true, brand: "Nasij",
			price: 39900, sale: true, material: "chiffon", colours: []string{"black", "camel"}, sizes: sizesClothing,
			descAR: "عباية واسعة بقصة البشت وأطراف مزينة بشريط مطرز، تجمع بين التراث والأناقة.",
			descEN: "A loose bisht-style abaya trimmed with embroidered tape, where heritage meets elegance.",
		},
	)

	// Women > Dresses.
	add(product{
		cat: "dresses", ar: "جلابية مغربية", en: "Moroccan Jalabiya", brand: "Dar Al Aseel",
		price: 29900, material: "cotton blend", stock: stockIn,
		axes:   []axis{colourAxis("green", "maroon", "blue"), sizeAxis(sizesClothing...)},
		descAR: "جلابية مغربية بتطريز تقليدي حول الصدر والأكمام، من قماش ناعم وخفيف يناسب الجلسات العائلية وليالي رمضان.",
		descEN: "A Moroccan jalabiya with traditional embroidery around the neckline and sleeves, in a soft, light fabric for family gatherings and Ramadan evenings.",
	})
	expand(
		line{
			cat: "dresses", ar: "فستان سهرة %s", en: "%s Evening Dress", brand: "Layan",
			price: 49900, sale: true, material: "satin", colours: []string{"black", "maroon", "navy", "green"}, sizes: sizesClothing,
			descAR: "فستان سهرة طويل بقصة انسيابية وتفاصيل لامعة عند الخصر.",
			descEN: "A long, flowing evening dress with shimmering details at the waist.",
		},
		line{
			cat: "dresses", ar: "فستان قطني %s بأكمام طويلة", en: "%s Long-Sleeve Cotton Dress", brand: "Nasij",
			price: 21900, material: "cotton", colours: []string{"white", "beige", "blue"}, sizes: sizesClothing,
			descAR: "فستان قطني مريح بأكمام طويلة، مناسب للخروج اليومي والسفر.",
			descEN: "A comfortable long-sleeve cotton dress for everyday outings and travel.",
		},
		line{
			cat: "dresses", ar: "فستان مشجر %s", en: "%s Floral Dress", brand: "Nasij",
			price: 25900, material: "chiffon", colours: []string{"pink", "blue", "cream"}, sizes: sizesClothing,
			descAR: "نقشة زهور ناعمة على قماش الشيفون مع بطانة كاملة.",
			descEN: "A soft floral print on chiffon, fully lined.",
		},
		line{
			cat: "dresses", ar: "قفطان %s مطرز", en: "Embroidered %s Kaftan", brand: "Dar Al Aseel",
			price: 45900, material: "silk blend", colours: []string{"gold", "white"}, sizes: sizesClothing,
			descAR: "قفطان فضفاض بتطريز يدوي، خيار مثالي للعيد والأعراس.",
			descEN: "A loose kaftan with hand embroidery, a perfect choice for Eid and weddings.",
		},
		line{
			cat: "dresses", ar: "جلابية %s بقصة واسعة", en: "%s Loose-Fit Jalabiya", fem: true, brand: "Dar Al Aseel",
			price: 17900, material: "cotton", colours: []string{"lilac", "green"}, sizes: sizesClothing,
			descAR: "جلابية منزلية مريحة من القطن، خفيفة ومناسبة للجلسات العائلية.",
			descEN: "A comfortable cotton house jalabiya, light and ideal for family gatherings.",
		},
	)

	// Women > Hijabs & Shaylas: colour is the option, one product per style.
	shayla := func(ar, en, material string, price int64, descAR, descEN string, cols ...string) product {
		c := categoryByKey("shaylas")
		return product{
			cat: "shaylas", ar: ar, en: en, brand: "Layan", price: price, material: material,
			axes: []axis{colourAxis(cols...)}, stock: stockVaried,
			descAR: descAR + " " + c.closeAR, descEN: descEN + " " + c.closeEN,
		}
	}
	add(
		shayla("شيلة شيفون", "Chiffon Shayla", "chiffon", 4900,
			"شيلة من الشيفون الكوري الناعم، خفيفة وغير شفافة وسهلة اللف.",
			"A shayla in soft Korean chiffon: light, opaque and easy to wrap.",
			"black", "beige", "grey", "pink", "navy"),
		shayla("شيلة جورجيت", "Georgette Shayla", "georgette", 5900,
			"شيلة جورجيت بملمس مميز تثبت على الرأس طوال اليوم.",
			"A georgette shayla with a fine texture that stays in place all day.",
			"black", "camel", "maroon", "olive"),
		shayla("طرحة قطن", "Cotton Tarha", "cotton", 3900,
			"طرحة قطنية تمتص العرق وتناسب الأيام الحارة.",
			"A cotton tarha that absorbs sweat, made for hot days.",
			"black", "white", "beige"),
		shayla("حجاب جيرسيه", "Jersey Hijab", "jersey", 4500,
			"حجاب جيرسيه مطاطي مريح لا يحتاج إلى كيّ، مثالي للرياضة والسفر.",
			"A stretchy, comfortable jersey hijab that never needs ironing, ideal for sport and travel.",
			"black", "grey", "navy", "pink"),
		shayla("شيلة حرير", "Silk Shayla", "silk", 12900,
			"شيلة من الحرير الطبيعي بلمعة هادئة، لإطلالة راقية في المناسبات.",
			"A natural silk shayla with a soft sheen, for an elegant look at occasions.",
			"black", "cream", "rosegold"),
		shayla("شيلة كريب", "Crepe Shayla", "crepe", 5500,
			"شيلة كريب مطفية لا تنزلق، تناسب العباية السوداء بكل ألوانها.",
			"A matte, non-slip crepe shayla that pairs with any black abaya.",
			"black", "beige", "lilac"),
		shayla("شيلة مطرزة الأطراف", "Shayla with Embroidered Edges", "chiffon", 7900,
			"شيلة شيفون بأطراف مطرزة بخيوط ناعمة تضيف لمسة أنيقة.",
			"A chiffon shayla whose edges are finished with fine embroidery for an elegant touch.",
			"black", "navy"),
		product{
			cat: "shaylas", ar: "نقاب بطبقتين", en: "Two-Layer Niqab", brand: "Layan", price: 3500,
			material: "chiffon", axes: []axis{colourAxis("black")}, stock: stockVaried,
			descAR: "نقاب بطبقتين من الشيفون الخفيف مع رباط مريح قابل للتعديل.",
			descEN: "A two-layer niqab in light chiffon with a comfortable adjustable tie.",
		},
		product{
			cat: "shaylas", ar: "بونيه قطني", en: "Cotton Underscarf", brand: "Layan", price: 1900,
			material: "cotton", axes: []axis{colourAxis("black", "white", "beige")}, stock: stockVaried,
			descAR: "بونيه قطني يثبّت الشيلة ويمنع انزلاقها، مريح طوال اليوم.",
			descEN: "A cotton underscarf that holds the shayla in place, comfortable all day.",
		},
		product{
			cat: "shaylas", ar: "طقم شيلة ونقاب", en: "Shayla and Niqab Set", brand: "Layan", price: 8900, was: 10900,
			material: "chiffon", axes: []axis{colourAxis("black")}, stock: stockVaried,
			descAR: "طقم متناسق من شيلة ونقاب من الشيفون نفسه، في كيس هدية.",
			descEN: "A matching shayla and niqab in the same chiffon, in a gift pouch.",
		},
	)

	// Men > Thobes.
	add(
		product{
			cat: "thobes", ar: "ثوب رجالي أبيض", en: "Men's White Thobe", brand: "Dar Al Aseel",
			price: 18900, material: "Japanese cotton blend", stock: stockIn,
			axes:   []axis{colourAxis("white"), sizeAxis(sizesThobe...)},
			descAR: "ثوب سعودي أبيض من قماش ياباني فاخر، بياقة مرتفعة وأزرار مخفية وجيب جانبي بسحاب.",
			descEN: "A white Saudi thobe in premium Japanese fabric, with a stand collar, hidden buttons and a zipped side pocket.",
		},
		product{
			cat: "thobes", ar: "ثوب تفصيل حسب المقاس", en: "Made-to-Measure Thobe", brand: "Dar Al Aseel",
			price: 29900, material: "Japanese cotton blend", stock: stockUntracked,
			axes:   []axis{colourAxis("white", "cream", "grey")},
			descAR: "يُفصَّل الثوب على مقاساتك خلال سبعة أيام عمل، مع اختيار نوع الياقة والأكمام. أرسل مقاساتك عبر واتساب بعد الطلب.",
			descEN: "Tailored to your measurements within seven working days, with your choice of collar and cuffs. Send your measurements on WhatsApp after ordering.",
		},
		product{
			cat: "thobes", ar: "بشت حساوي", en: "Hasawi Bisht", brand: "Dar Al Aseel",
			price: 89900, was: 109900, material: "wool", stock: stockVaried,
			axes:   []axis{colourAxis("black", "brown", "cream"), sizeAxis("54", "56", "58")},
			descAR: "بشت حساوي بخيوط زري مشغولة يدوياً، للأعراس والمناسبات الرسمية.",
			descEN: "A Hasawi bisht with hand-worked zari trim, for weddings and formal occasions.",
		},
	)
	expand(
		line{
			cat: "thobes", ar: "ثوب شتوي %s", en: "%s Winter Thobe", brand: "Dar Al Aseel",
			price: 22900, sale: true, material: "light wool", colours: []string{"grey", "brown", "navy"}, sizes: sizesThobe,
			descAR: "ثوب شتوي من الصوف الخفيف، دافئ ومريح لأيام البرد.",
			descEN: "A winter thobe in light wool, warm and comfortable for the cold season.",
		},
		line{
			cat: "thobes", ar: "ثوب صيفي %s", en: "%s Summer Thobe", brand: "Nasij",
			price: 16900, material: "cotton", colours: []string{"white", "cream"}, sizes: sizesThobe,
			descAR: "قماش قطني خفيف يسمح بمرور الهواء، مثالي لحر الصيف.",
			descEN: "Light, breathable cotton, made for the summer heat.",
		},
		line{
			cat: "thobes", ar: "ثوب كويتي %s", en: "%s Kuwaiti Thobe", brand: "Nasij",
			price: 19900, material: "polyester blend", colours: []string{"white", "beige"}, sizes: sizesThobe,
			descAR: "ثوب بقصة كويتية وياقة مستديرة بدون أزرار ظاهرة.",
			descEN: "A Kuwaiti-cut thobe with a round collar and concealed fastening.",
		},
		line{
			cat: "thobes", ar: "صديري رجالي %s", en: "%s Men's Vest", brand: "Dar Al Aseel",
			price: 12900, material: "wool blend", colours: []string{"black", "grey"}, sizes: sizesThobe,
			descAR: "صديري يُلبس فوق الثوب بقصة محددة وأزرار معدنية.",
			descEN: "A tailored vest to wear over the thobe, with metal buttons.",
		},
	)

	// Men > Shemagh & Ghutra.
	add(
		product{
			cat: "shemagh", ar: "شماغ أحمر", en: "Red Shemagh", brand: "Dar Al Aseel",
			price: 17900, material: "English cotton", stock: stockIn,
			descAR: "شماغ أحمر بنقشة كلاسيكية من القطن الإنجليزي الفاخر، يحافظ على الكسرة ولا يبهت لونه مع الغسيل.",
			descEN: "A classic red-and-white shemagh in fine English cotton that holds its fold and keeps its colour wash after wash.",
		},
		product{
			cat: "shemagh", ar: "غترة بيضاء", en: "White Ghutra", brand: "Dar Al Aseel",
			price: 9900, material: "cotton", stock: stockIn,
			descAR: "غترة بيضاء ناعمة من القطن الخالص، خفيفة ومناسبة للصيف.",
			descEN: "A soft white ghutra in pure cotton, light enough for summer.",
		},
		product{
			cat: "shemagh", ar: "شماغ شتوي", en: "Winter Shemagh", brand: "Dar Al Aseel",
			price: 14900, material: "cotton and wool", stock: stockVaried,
			descAR: "شماغ شتوي بقماش أثقل قليلاً يدفئ في ليالي البرد، بنقشة حمراء تقليدية.",
			descEN: "A slightly heavier winter shemagh that keeps you warm on cold nights, in the traditional red pattern.",
		},
		product{
			cat: "shemagh", ar: "شماغ مطرز الأطراف", en: "Shemagh with Embroidered Edges", brand: "Nasij",
			price: 24900, was: -1, material: "cotton", stock: stockVaried,
			descAR: "شماغ أحمر بأطراف مطرزة بخيوط ناعمة، لإطلالة مميزة في المناسبات.",
			descEN: "A red shemagh with finely embroidered edges, for a distinctive look at occasions.",
		},
		product{
			cat: "shemagh", ar: "شماغ فاخر", en: "Premium Shemagh", brand: "Dar Al Aseel",
			price: 34900, material: "Egyptian cotton", stock: stockVaried,
			descAR: "شماغ فاخر من القطن المصري طويل التيلة بنسج كثيف ولون أحمر ثابت.",
			descEN: "A premium shemagh in long-staple Egyptian cotton with a dense weave and a lasting red.",
		},
		product{
			cat: "shemagh", ar: "غترة سويسرية بيضاء", en: "Swiss Voile White Ghutra", brand: "Nasij",
			price: 12900, material: "Swiss voile", stock: stockVaried,
			descAR: "غترة من قماش الفوال السويسري الخفيف، ناعمة ومريحة في الصيف.",
			descEN: "A ghutra in light Swiss voile, soft and comfortable in summer.",
		},
		product{
			cat: "shemagh", ar: "عقال أسود", en: "Black Agal", brand: "Dar Al Aseel",
			price: 6900, material: "wool", stock: stockVaried,
			axes:   []axis{sizeAxis("54", "56", "58")},
			descAR: "عقال أسود تقليدي مشدود بإحكام يثبت الشماغ والغترة.",
			descEN: "A traditional black agal, tightly wound to hold the shemagh or ghutra in place.",
		},
		product{
			cat: "shemagh", ar: "عقال مرعز", en: "Premium Mirizz Agal", brand: "Dar Al Aseel",
			price: 14900, material: "goat hair", stock: stockVaried,
			axes:   []axis{sizeAxis("54", "56", "58")},
			descAR: "عقال مرعز فاخر مصنوع من شعر الماعز الطبيعي، خفيف وناعم الملمس.",
			descEN: "A premium mirizz agal made from natural goat hair, light and soft to the touch.",
		},
		product{
			cat: "shemagh", ar: "طاقية بيضاء", en: "White Kufi Cap", brand: "Nasij",
			price: 2500, material: "cotton", stock: stockVaried,
			descAR: "طاقية قطنية بيضاء تُلبس تحت الغترة والشماغ، بتخريم ناعم.",
			descEN: "A white cotton cap with fine openwork, worn under the ghutra or shemagh.",
		},
		product{
			cat: "shemagh", ar: "طقم شماغ وعقال", en: "Shemagh and Agal Set", brand: "Dar Al Aseel",
			price: 22900, was: 26800, material: "cotton", stock: stockVaried,
			descAR: "طقم هدية من شماغ أحمر وعقال أسود في علبة أنيقة.",
			descEN: "A gift set of a red shemagh and a black agal in an elegant box.",
		},
	)

	// Shoes.
	add(product{
		cat: "shoes", ar: "حذاء رياضي للجري", en: "Running Sneakers", brand: "Rimal Sport",
		price: 34900, material: "mesh", stock: stockIn,
		axes:   []axis{colourAxis("black", "white"), sizeAxis(sizesMenShoe...)},
		descAR: "حذاء جري خفيف بنعل مرن يمتص الصدمات، وقماش شبكي يسمح بتهوية القدم.",
		descEN: "Lightweight running shoes with a flexible, cushioned sole and a breathable mesh upper.",
	})
	expand(
		line{
			cat: "shoes", ar: "نعال شرقي %s", en: "%s Traditional Leather Sandals", brand: "Dar Al Aseel",
			price: 14900, material: "leather", colours: []string{"black", "brown"}, sizes: sizesMenShoe,
			descAR: "نعال شرقي من الجلد الطبيعي بنعل داخلي مريح، يليق بالثوب.",
			descEN: "Traditional Eastern sandals in genuine leather with a cushioned footbed, made to go with a thobe.",
		},
		line{
			cat: "shoes", ar: "حذاء كعب عالٍ %s", en: "%s High Heels", brand: "Layan",
			price: 27900, sale: true, material: "faux leather", colours: []string{"black", "beige", "red"}, sizes: sizesWomShoe,
			descAR: "كعب بارتفاع 9 سم مع بطانة داخلية مبطنة لراحة أطول.",
			descEN: "A 9 cm heel with a padded lining for longer comfort.",
		},
		line{
			cat: "shoes", ar: "حذاء رياضي %s", en: "%s Everyday Trainers", brand: "Rimal Sport",
			price: 24900, material: "knit", colours: []string{"white", "grey", "navy"}, sizes: sizesMenShoe,
			descAR: "حذاء رياضي خفيف للاستخدام اليومي بنعل من الرغوة الناعمة.",
			descEN: "Light everyday trainers on a soft foam sole.",
		},
		line{
			cat: "shoes", ar: "صندل نسائي %s", en: "%s Women's Sandals", brand: "Layan",
			price: 12900, material: "leather", colours: []string{"beige", "gold"}, sizes: sizesWomShoe,
			descAR: "صندل نسائي بأشرطة رفيعة ونعل مريح للمشي.",
			descEN: "Women's sandals with slim straps and a sole that is comfortable to walk in.",
		},
		line{
			cat: "shoes", ar: "حذاء جلد كلاسيكي %s", en: "%s Leather Oxford Shoes", brand: "Nasij",
			price: 39900, material: "leather", colours: []string{"black", "brown"}, sizes: sizesMenShoe,
			descAR: "حذاء رسمي من الجلد الطبيعي بخياطة دقيقة، يناسب البدلة والمناسبات.",
			descEN: "Formal shoes in genuine leather with fine stitching, for suits and occasions.",
		},
		line{
			cat: "shoes", ar: "خف منزلي %s", en: "%s House Slippers", brand: "Nasij",
			price: 5900, material: "fleece", colours: []string{"grey", "pink"}, sizes: []string{"36-38", "39-41", "42-44"},
			descAR: "خف منزلي دافئ بنعل مطاطي لا ينزلق.",
			descEN: "Warm house slippers on a non-slip rubber sole.",
		},
	)

	// Bags.
	add(product{
		cat: "bags", ar: "شنطة يد جلدية", en: "Leather Handbag", brand: "Layan",
		price: 59900, material: "genuine leather", stock: stockIn,
		axes:   []axis{colourAxis("black", "camel", "maroon")},
		descAR: "شنطة يد من الجلد الطبيعي بخياطة دقيقة، مع حزام كتف قابل للفصل وجيوب داخلية منظمة.",
		descEN: "A genuine leather handbag with fine stitching, a detachable shoulder strap and organised inner pockets.",
	})
	expand(
		line{
			cat: "bags", ar: "حقيبة كتف %s", en: "%s Shoulder Bag", fem: true, brand: "Layan",
			price: 34900, material: "faux leather", colours: []string{"black", "beige", "pink"},
			descAR: "حقيبة كتف عملية بحجم متوسط تتسع للأغراض اليومية.",
			descEN: "A practical medium-sized shoulder bag with room for everyday essentials.",
		},
		line{
			cat: "bags", ar: "حقيبة سهرة %s", en: "%s Evening Clutch", fem: true, brand: "Layan",
			price: 24900, sale: true, material: "satin", colours: []string{"gold", "silver", "black"},
			descAR: "حقيبة سهرة صغيرة مزينة بالخرز مع سلسلة معدنية رفيعة.",
			descEN: "A small beaded evening clutch with a slim metal chain.",
		},
		line{
			cat: "bags", ar: "حقيبة ظهر %s", en: "%s Backpack", fem: true, brand: "Rimal Sport",
			price: 22900, material: "nylon", colours: []string{"black", "grey", "navy"},
			descAR: "حقيبة ظهر مقاومة للماء مع جيب مبطن للابتوب حتى 15 بوصة.",
			descEN: "A water-resistant backpack with a padded sleeve for laptops up to 15 inches.",
		},
		line{
			cat: "bags", ar: "محفظة جلد رجالية %s", en: "%s Men's Leather Wallet", fem: true, brand: "Nasij",
			price: 14900, material: "leather", colours: []string{"black", "brown"},
			descAR: "محفظة رفيعة من الجلد الطبيعي بثماني خانات للبطاقات وحماية RFID.",
			descEN: "A slim genuine leather wallet with eight card slots and RFID protection.",
		},
		line{
			cat: "bags", ar: "حقيبة سفر %s", en: "%s Travel Duffel Bag", fem: true, brand: "Rimal Sport",
			price: 39900, material: "canvas", colours: []string{"black", "olive"},
			descAR: "حقيبة سفر واسعة بقاعدة متينة وحزام كتف مبطن، مناسبة لرحلات نهاية الأسبوع.",
			descEN: "A roomy duffel bag with a sturdy base and a padded shoulder strap, made for weekend trips.",
		},
	)

	// Accessories > Watches.
	add(
		product{
			cat: "watches", ar: "ساعة يد رجالية فضية", en: "Men's Silver Wristwatch", brand: "Sahara Time",
			price: 89900, material: "stainless steel", stock: stockIn,
			descAR: "ساعة رجالية بهيكل من الستانلس ستيل الفضي وزجاج مقاوم للخدش، بحركة كوارتز يابانية ومقاومة للماء حتى 50 متراً.",
			descEN: "A men's watch with a silver stainless-steel case, scratch-resistant glass, Japanese quartz movement and water resistance to 50 m.",
		},
		product{
			cat: "watches", ar: "ساعة ذكية رياضية", en: "Sport Smart Watch", brand: "Nagham",
			price: 79900, was: 99900, stock: stockIn,
			axes:   []axis{colourAxis("black", "green")},
			descAR: "ساعة ذكية تقيس نبض القلب والخطوات وجودة النوم، مع GPS مدمج وبطارية تدوم حتى 10 أيام.",
			descEN: "A smart watch that tracks heart rate, steps and sleep, with built-in GPS and up to 10 days of battery.",
		},
	)
	expand(
		line{
			cat: "watches", ar: "ساعة نسائية %s", en: "%s Women's Watch", fem: true, brand: "Sahara Time",
			price: 59900, sale: true, material: "stainless steel", colours: []string{"gold", "silver", "rosegold"},
			descAR: "ساعة نسائية أنيقة بقرص صغير مرصع بفصوص لامعة وسوار معدني.",
			descEN: "An elegant women's watch with a small crystal-set dial and a metal bracelet.",
		},
		line{
			cat: "watches", ar: "ساعة رجالية كلاسيكية بسير جلد %s", en: "Classic Men's Watch with %s Leather Strap", brand: "Sahara Time",
			price: 49900, material: "leather", colours: []string{"brown", "black"},
			descAR: "ساعة رجالية بتصميم كلاسيكي بسيط وأرقام رومانية، تناسب الثوب والبدلة.",
			descEN: "A simple classic men's watch with Roman numerals, equally at home with a thobe or a suit.",
		},
		line{
			cat: "watches", ar: "ساعة غوص %s", en: "%s Diver Watch", fem: true, brand: "Sahara Time",
			price: 119900, material: "stainless steel", colours: []string{"black", "blue"},
			descAR: "ساعة غوص بإطار دوّار ومقاومة للماء حتى 200 متر.",
			descEN: "A diver watch with a rotating bezel and water resistance to 200 m.",
		},
	)

	// Accessories > Jewellery.
	jewel := func(ar, en, material string, price, was int64, stock stockRule, axes []axis, descAR, descEN string) product {
		return product{
			cat: "jewellery", ar: ar, en: en, brand: "Qamar", material: material, price: price, was: was,
			stock: stock, axes: axes, descAR: descAR, descEN: descEN,
		}
	}
	add(
		jewel("خاتم فضة", "Silver Ring", "925 silver", 14900, 0, stockIn, []axis{sizeAxis(sizesRing...)},
			"خاتم من الفضة عيار 925 بتصميم ناعم يناسب الاستخدام اليومي.",
			"A sterling silver (925) ring with a delicate design for everyday wear."),
		jewel("قلادة اسم بالخط العربي", "Arabic Calligraphy Name Necklace", "gold-plated silver", 29900, 0, stockUntracked,
			[]axis{colourAxis("gold", "silver")},
			"قلادة تُصنع بالاسم الذي تختاره بخط الثلث العربي، وتُجهز خلال خمسة أيام عمل.",
			"A necklace made with the name of your choice in Thuluth Arabic calligraphy, ready within five working days."),
		jewel("أسوارة ذهبية ناعمة", "Delicate Gold Bracelet", "18k gold", 45900, 0, stockVaried, nil,
			"أسوارة رفيعة من الذهب عيار 18 بقفل آمن، تُلبس وحدها أو مع ساعة.",
			"A slim 18-carat gold bracelet with a secure clasp, to wear alone or with a watch."),
		jewel("حلق لؤلؤ", "Pearl Earrings", "freshwater pearl", 24900, -1, stockVaried, nil,
			"حلق بلؤلؤ طبيعي من المياه العذبة على قاعدة من الفضة المطلية بالذهب.",
			"Freshwater pearl earrings on gold-plated silver posts."),
		jewel("طقم مجوهرات للعروس", "Bridal Jewellery Set", "gold-plated brass", 159900, 0, stockVaried, nil,
			"طقم عروس من قلادة وحلق وأسوارة بتصميم مستوحى من الحلي الخليجية التراثية.",
			"A bridal set of necklace, earrings and bracelet inspired by traditional Gulf jewellery."),
		jewel("خاتم رجالي بحجر العقيق", "Men's Agate Stone Ring", "925 silver", 19900, 0, stockVaried,
			[]axis{sizeAxis("9", "10", "11", "12")},
			"خاتم رجالي من الفضة بحجر عقيق يمني أحمر طبيعي.",
			"A men's silver ring set with a natural red Yemeni agate."),
		jewel("سبحة كهرمان", "Amber Prayer Beads", "amber", 34900, 0, stockVaried, nil,
			"سبحة من الكهرمان الطبيعي بثلاث وثلاثين حبة وشرابة فضية.",
			"Natural amber prayer beads, thirty-three beads with a silver tassel."),
		jewel("سبحة يسر", "Yusr Prayer Beads", "yusr wood", 12900, 0, stockVaried, nil,
			"سبحة من خشب اليسر الأسود المصقول، خفيفة وناعمة الملمس.",
			"Prayer beads of polished black yusr wood, light and smooth to the touch."),
		jewel("قلادة فضة بحرف", "Silver Initial Pendant", "925 silver", 12900, 0, stockVaried,
			[]axis{{name: "Letter", values: []value{{value: "أ", code: "A"}, {value: "م", code: "M"}, {value: "ن", code: "N"}, {value: "س", code: "S"}}}},
			"قلادة فضية بحرف عربي تختاره، هدية شخصية لطيفة.",
			"A silver pendant with an Arabic letter of your choice, a thoughtful personal gift."),
		jewel("كبك فضة للثوب", "Silver Thobe Cufflinks", "925 silver", 17900, 0, stockVaried, nil,
			"كبك فضي بنقش هندسي لأكمام الثوب الرسمي، في علبة هدية.",
			"Silver cufflinks with a geometric engraving for the cuffs of a formal thobe, in a gift box."),
		jewel("أسوارة جلد رجالية", "Men's Leather Bracelet", "leather", 8900, 0, stockVaried,
			[]axis{colourAxis("black", "brown")},
			"أسوارة رجالية من الجلد المضفور بقفل مغناطيسي من الستانلس ستيل.",
			"A men's braided leather bracelet with a magnetic stainless-steel clasp."),
	)

	// Accessories > Sunglasses.
	add(product{
		cat: "sunglasses", ar: "نظارة شمسية", en: "Sunglasses", brand: "Rimal",
		price: 29900, material: "acetate", stock: stockIn,
		axes:   []axis{colourAxis("black", "brown")},
		descAR: "نظارة شمسية بإطار خفيف وعدسات مستقطبة تخفف الوهج وتحمي من الأشعة فوق البنفسجية.",
		descEN: "Sunglasses with a lightweight frame and polarised lenses that cut glare and block UV rays.",
	})
	expand(
		line{
			cat: "sunglasses", ar: "نظارة شمسية %s بتصميم طيار", en: "%s Aviator Sunglasses", fem: true, brand: "Rimal",
			price: 39900, material: "metal", colours: []string{"gold", "silver"},
			descAR: "إطار معدني رفيع بتصميم الطيار الكلاسيكي وعدسات مستقطبة.",
			descEN: "A slim metal frame in the classic aviator shape, with polarised lenses.",
		},
		line{
			cat: "sunglasses", ar: "نظارة شمسية نسائية %s بإطار كبير", en: "%s Oversized Women's Sunglasses", fem: true, brand: "Layan",
			price: 34900, sale: true, material: "acetate", colours: []string{"black", "brown"},
			descAR: "إطار كبير أنيق يغطي العينين بالكامل ويحميهما من شمس الظهيرة.",
			descEN: "An elegant oversized frame that fully covers the eyes against the midday sun.",
		},
		line{
			cat: "sunglasses", ar: "نظارة شمسية رياضية %s", en: "%s Sport Sunglasses", fem: true, brand: "Rimal Sport",
			price: 24900, material: "polycarbonate", colours: []string{"black", "blue"},
			descAR: "نظارة رياضية خفيفة بإطار مرن لا ينزلق أثناء الجري وركوب الدراجة.",
			descEN: "Light sport sunglasses with a flexible frame that stays put while running or cycling.",
		},
	)

	// Perfumes & Oud.
	perfume := func(ar, en, brand string, price, was int64, axes []axis, descAR, descEN string) product {
		return product{cat: "perfumes", ar: ar, en: en, brand: brand, price: price, was: was, axes: axes, stock: stockVaried, descAR: descAR, descEN: descEN}
	}
	ml := func(small, large string, smallPrice int64) []axis {
		return []axis{priced(optSize, value{value: small, code: small[:len(small)-3] + "ML", delta: smallPrice}, value{value: large, code: large[:len(large)-3] + "ML"})}
	}
	add(
		product{
			cat: "perfumes", ar: "العطر الملكي للعود", en: "Royal Oud Perfume", brand: "Arabian Oud",
			price: 65000, stock: stockIn,
			axes:   ml("50 ml", "100 ml", -25500),
			descAR: "عطر شرقي فاخر بقلب من العود الكمبودي والورد الطائفي، تتخلله لمسات من العنبر والزعفران. ثبات يدوم طوال اليوم.",
			descEN: "A luxurious oriental perfume with a heart of Cambodian oud and Taif rose, laced with amber and saffron. Lasts all day.",
		},
		product{
			cat: "perfumes", ar: "عطر المسك الأبيض", en: "White Musk Perfume", brand: "Arabian Oud",
			price: 9500, stock: stockIn,
			descAR: "مسك أبيض نظيف وناعم برائحة منعشة، مناسب للاستخدام اليومي ويمكن رشه على الملابس. الحجم 50 مل.",
			descEN: "A clean, soft white musk with a fresh scent, made for every day and safe to spray on clothes. 50 ml.",
		},
		product{
			cat: "perfumes", ar: "دهن العود الكمبودي", en: "Cambodian Oud Oil", brand: "Arabian Oud",
			price: 85000, stock: stockIn,
			axes:   []axis{priced(optSize, value{value: "3 ml", code: "3ML"}, value{value: "6 ml", code: "6ML", delta: 75000})},
			descAR: "دهن عود كمبودي أصلي معتّق، برائحة عميقة ودافئة تدوم لساعات طويلة. تكفي منه قطرة صغيرة.",
			descEN: "Genuine aged Cambodian oud oil with a deep, warm scent that lasts for hours. A tiny drop is all you need.",
		},
		product{
			cat: "perfumes", also: []string{"home"}, ar: "بخور معطر فاخر", en: "Luxury Scented Bakhoor", brand: "Arabian Oud",
			price: 12000, stock: stockIn, grams: 200,
			descAR: "بخور من رقائق خشب العود المنقوعة في الزيوت العطرية والمسك، يملأ المكان برائحة فاخرة تدوم. العلبة 50 غراماً.",
			descEN: "Bakhoor of oud wood chips steeped in perfume oils and musk that fills the home with a rich, lasting fragrance. 50 g tin.",
		},
		perfume("عطر الورد الطائفي", "Taif Rose Perfume", "Oud Najd", 28000, 0, ml("50 ml", "100 ml", -10000),
			"عطر مستخلص من ورد الطائف الشهير، برائحة وردية صافية تناسب المرأة والرجل.",
			"A perfume distilled from the famous roses of Taif, a pure rose scent for women and men."),
		perfume("عطر العنبر والفانيلا", "Amber & Vanilla Perfume", "Oud Najd", 19500, -1, ml("50 ml", "100 ml", -7000),
			"مزيج دافئ من العنبر والفانيلا مع لمسة خشبية ناعمة، مثالي لأمسيات الشتاء.",
			"A warm blend of amber and vanilla with a soft woody touch, perfect for winter evenings."),
		perfume("عطر الزعفران الذهبي", "Golden Saffron Perfume", "Arabian Oud", 32000, 0, nil,
			"عطر يجمع الزعفران والجلد والعود في تركيبة شرقية فخمة. الحجم 100 مل.",
			"Saffron, leather and oud in a rich oriental composition. 100 ml."),
		perfume("مخمرية ليالي نجد", "Najd Nights Mukhallat", "Oud Najd", 24500, 0, nil,
			"مخمرية كثيفة من دهن العود والورد والمسك، توضع على الملابس والشعر. الحجم 30 مل.",
			"A rich mukhallat of oud oil, rose and musk for clothes and hair. 30 ml."),
		perfume("دهن عود هندي", "Indian Oud Oil", "Oud Najd", 69000, 0, nil,
			"دهن عود هندي برائحة حيوانية قوية يحبها عشاق العود الأصيل. الحجم 3 مل.",
			"Indian oud oil with the bold, animalic character loved by connoisseurs. 3 ml."),
		perfume("مسك الطهارة", "Tahara Musk", "Misk Al Arab", 3500, 0, nil,
			"مسك أبيض كريمي ناعم يدوم طويلاً، في عبوة صغيرة سهلة الحمل.",
			"A soft, creamy white musk that lasts, in a small bottle that is easy to carry."),
		perfume("عطر الصندل", "Sandalwood Perfume", "Misk Al Arab", 17500, 0, nil,
			"عطر خشبي هادئ أساسه خشب الصندل الكريمي مع لمسة من الهيل. الحجم 100 مل.",
			"A calm woody perfume built on creamy sandalwood with a hint of cardamom. 100 ml."),
		perfume("عطر زهر البرتقال", "Orange Blossom Perfume", "Misk Al Arab", 16500, -1, nil,
			"عطر زهري منعش بزهر البرتقال والبرغموت، خفيف ومناسب للصيف. الحجم 75 مل.",
			"A fresh floral of orange blossom and bergamot, light enough for summer. 75 ml."),
		perfume("عطر العود الأسود", "Black Oud Perfume", "Arabian Oud", 39500, 0, ml("50 ml", "100 ml", -14000),
			"عطر رجالي جريء من العود المدخن والباتشولي والجلد.",
			"A bold men's perfume of smoky oud, patchouli and leather."),
		perfume("عطر ياسمين الليل", "Night Jasmine Perfume", "Misk Al Arab", 21000, 0, nil,
			"عطر نسائي ناعم من الياسمين والفل مع قاعدة من المسك. الحجم 100 مل.",
			"A soft women's perfume of jasmine and Arabian jasmine on a musk base. 100 ml."),
		perfume("طقم هدايا عطور", "Perfume Gift Set", "Arabian Oud", 49900, 59900, nil,
			"طقم هدية من ثلاثة عطور بحجم 30 مل ودهن عود صغير في علبة فاخرة.",
			"A gift set of three 30 ml perfumes and a small oud oil in a luxury box."),
		perfume("معطر شعر بالعود", "Oud Hair Mist", "Oud Najd", 12500, 0, nil,
			"معطر شعر خفيف بالعود والورد، خالٍ من الكحول ولطيف على الشعر.",
			"A light oud and rose hair mist, alcohol-free and gentle on hair."),
		perfume("عطر جيب بخاخ", "Pocket Perfume Spray", "Misk Al Arab", 4500, 0, []axis{{name: "Scent", values: []value{{value: "Oud", code: "OUD"}, {value: "Musk", code: "MSK"}, {value: "Rose", code: "RSE"}}}},
			"عطر بحجم الجيب 10 مل لتجديد الرائحة خلال اليوم.",
			"A 10 ml pocket-size spray to refresh your scent through the day."),
		product{
			cat: "perfumes", also: []string{"home"}, ar: "دخون العروس", en: "Bridal Dukhoon", brand: "Misk Al Arab",
			price: 9500, stock: stockVaried, grams: 250,
			descAR: "دخون معمول يدوياً بالعود والمسك والعنبر على طريقة الجدات، لتبخير الملابس والمجالس.",
			descEN: "Hand-made dukhoon of oud, musk and amber in the grandmothers' way, for scenting clothes and majlis.",
		},
		product{
			cat: "perfumes", also: []string{"home"}, ar: "عود كلمنتان طبيعي", en: "Natural Kalimantan Oud Wood", brand: "Oud Najd",
			price: 45000, stock: stockVaried, grams: 150,
			axes:   []axis{priced(optWeight, value{value: "1 tola", code: "1T"}, value{value: "1/2 tola", code: "HT", delta: -23000})},
			descAR: "قطع عود كلمنتان طبيعية للتبخير، دخانها هادئ ورائحتها حلوة تدوم في المكان.",
			descEN: "Natural Kalimantan oud chips for burning, with a gentle smoke and a sweet, lingering scent.",
		},
	)

	// Electronics > Phones.
	// storage is a Storage option, each size 500 SAR above the last.
	storage := func(sizes ...string) axis {
		a := axis{name: optStorage}
		for i, s := range sizes {
			a.values = append(a.values, value{value: s, code: s[:len(s)-2], delta: int64(i) * 50000})
		}
		return a
	}
	add(
		product{
			cat: "phones", ar: "آيفون 15 برو", en: "iPhone 15 Pro", brand: "Apple",
			price: 459900, stock: stockIn,
			axes:   []axis{colourAxis("titanium", "blacktitanium"), storage("128GB", "256GB")},
			descAR: "آيفون 15 برو بتصميم من التيتانيوم وشريحة A17 Pro، وكاميرا رئيسية بدقة 48 ميغابكسل مع تقريب بصري، ومنفذ USB-C.",
			descEN: "iPhone 15 Pro with a titanium design, the A17 Pro chip, a 48 MP main camera with optical zoom, and USB-C.",
		},
		product{
			cat: "phones", ar: "آيفون 15", en: "iPhone 15", brand: "Apple",
			price: 369900, was: 399900, stock: stockIn,
			axes:   []axis{colourAxis("black", "blue", "pink"), storage("128GB", "256GB")},
			descAR: "آيفون 15 بجزيرة ديناميكية وكاميرا 48 ميغابكسل وهيكل من الألمنيوم والزجاج الملون، مع منفذ USB-C.",
			descEN: "iPhone 15 with the Dynamic Island, a 48 MP camera and a colour-infused glass and aluminium design, with USB-C.",
		},
		product{
			cat: "phones", ar: "سامسونج جالكسي S24", en: "Samsung Galaxy S24", brand: "Samsung",
			price: 349900, stock: stockIn,
			axes:   []axis{colourAxis("black", "purple"), storage("256GB", "512GB")},
			descAR: "جالكسي S24 بشاشة 6.2 بوصة وميزات Galaxy AI للترجمة الفورية وتحرير الصور، وبطارية تكفي ليوم كامل.",
			descEN: "Galaxy S24 with a 6.2-inch display and Galaxy AI features for live translation and photo editing, with all-day battery.",
		},
		product{
			cat: "phones", ar: "سامسونج جالكسي A55", en: "Samsung Galaxy A55", brand: "Samsung",
			price: 159900, was: -1, stock: stockVaried,
			axes:   []axis{colourAxis("navy", "lilac")},
			descAR: "جوال متوسط الفئة بشاشة سوبر أموليد 120 هرتز وبطارية 5000 ملي أمبير ومقاومة للماء. السعة 256 جيجابايت.",
			descEN: "A mid-range phone with a 120 Hz Super AMOLED display, a 5000 mAh battery and water resistance. 256 GB.",
		},
		product{
			cat: "phones", ar: "سامسونج جالكسي Z فليب 6", en: "Samsung Galaxy Z Flip6", brand: "Samsung",
			price: 429900, stock: stockVaried,
			axes:   []axis{colourAxis("blue", "silver")},
			descAR: "جوال قابل للطي بحجم الجيب مع شاشة خارجية كبيرة وكاميرا 50 ميغابكسل. السعة 256 جيجابايت.",
			descEN: "A pocket-size foldable with a large cover screen and a 50 MP camera. 256 GB.",
		},
		product{
			cat: "phones", ar: "آيفون 14", en: "iPhone 14", brand: "Apple",
			price: 299900, stock: stockVaried,
			axes:   []axis{colourAxis("black", "blue"), storage("128GB", "256GB")},
			descAR: "آيفون 14 بشريحة A15 Bionic وكاميرا مزدوجة ووضع الحركة للفيديو.",
			descEN: "iPhone 14 with the A15 Bionic chip, a dual camera and Action mode for video.",
		},
		product{
			cat: "phones", ar: "شاومي ريدمي نوت 13", en: "Xiaomi Redmi Note 13", brand: "Xiaomi",
			price: 89900, stock: stockVaried,
			axes:   []axis{colourAxis("black", "green")},
			descAR: "جوال اقتصادي بشاشة أموليد وكاميرا 108 ميغابكسل وشحن سريع 33 واط.",
			descEN: "An affordable phone with an AMOLED display, a 108 MP camera and 33 W fast charging.",
		},
	)

	// Electronics > Audio.
	add(
		product{
			cat: "audio", ar: "سماعات لاسلكية", en: "Wireless Earbuds", brand: "Nagham",
			price: 19900, stock: stockIn,
			axes:   []axis{colourAxis("black", "white")},
			descAR: "سماعات أذن لاسلكية بتقنية عزل الضوضاء، مع علبة شحن توفر حتى 30 ساعة من التشغيل.",
			descEN: "True wireless earbuds with noise cancellation and a charging case for up to 30 hours of playback.",
		},
		product{
			cat: "audio", ar: "سماعات رأس بعزل الضوضاء", en: "Noise-Cancelling Headphones", brand: "Nagham",
			price: 59900, was: 74900, stock: stockVaried,
			axes:   []axis{colourAxis("black", "beige")},
			descAR: "سماعات رأس فوق الأذن بعزل نشط للضوضاء ووسائد مريحة وبطارية تدوم 40 ساعة.",
			descEN: "Over-ear headphones with active noise cancellation, soft cushions and 40 hours of battery.",
		},
		product{
			cat: "audio", ar: "إيربودز برو (الجيل الثاني)", en: "AirPods Pro (2nd generation)", brand: "Apple",
			price: 94900, stock: stockVaried,
			descAR: "سماعات إيربودز برو بعزل نشط للضوضاء وصوت محيطي مخصص وعلبة شحن USB-C.",
			descEN: "AirPods Pro with active noise cancellation, personalised spatial audio and a USB-C charging case.",
		},
		product{
			cat: "audio", ar: "مكبر صوت بلوتوث محمول", en: "Portable Bluetooth Speaker", brand: "Nagham",
			price: 24900, stock: stockVaried,
			axes:   []axis{colourAxis("black", "blue", "red")},
			descAR: "مكبر صوت صغير مقاوم للماء بصوت قوي وبطارية 12 ساعة، مناسب للكشتات والبحر.",
			descEN: "A small waterproof speaker with big sound and 12 hours of battery, made for desert trips and the beach.",
		},
		product{
			cat: "audio", ar: "سماعات رياضية مقاومة للعرق", en: "Sweat-Proof Sport Earphones", brand: "Nagham",
			price: 14900, stock: stockVaried,
			descAR: "سماعات رياضية بخطاف أذن ثابت ومقاومة للعرق والماء، للجري والنادي.",
			descEN: "Sport earphones with secure ear hooks, resistant to sweat and water, for running and the gym.",
		},
		product{
			cat: "audio", ar: "ميكروفون لاسلكي للجوال", en: "Wireless Phone Microphone", brand: "Nagham",
			price: 12900, stock: stockVaried,
			descAR: "ميكروفون لاسلكي صغير يُثبت على الملابس لتسجيل الفيديو والبث المباشر بصوت واضح.",
			descEN: "A small clip-on wireless microphone for clear sound in videos and live streams.",
		},
	)

	// Electronics > Accessories.
	gadget := func(ar, en string, price int64, axes []axis, descAR, descEN string) product {
		c := categoryByKey("gadgets")
		return product{cat: "gadgets", ar: ar, en: en, brand: "Volta", price: price, axes: axes, stock: stockVaried,
			descAR: descAR + " " + c.closeAR, descEN: descEN + " " + c.closeEN}
	}
	models := axis{name: optModel, values: []value{{value: "iPhone 15", code: "IP15"}, {value: "iPhone 15 Pro", code: "IP15P"}, {value: "Galaxy S24", code: "S24"}}}
	add(
		gadget("شاحن سريع 20 واط", "20W Fast Charger", 7900, nil,
			"شاحن جداري بمنفذ USB-C يشحن الجوال إلى 50% في نحو 30 دقيقة.",
			"A USB-C wall charger that takes a phone to 50% in about 30 minutes."),
		gadget("كيبل USB-C بطول مترين", "2 m USB-C Cable", 4900, nil,
			"كيبل مضفر متين بطول مترين يدعم الشحن السريع ونقل البيانات.",
			"A durable braided two-metre cable for fast charging and data."),
		gadget("باور بانك 20000 ملي أمبير", "20,000 mAh Power Bank", 14900, []axis{colourAxis("black", "white")},
			"بطارية متنقلة بسعة 20000 ملي أمبير تشحن جوالين في الوقت نفسه.",
			"A 20,000 mAh power bank that charges two phones at once."),
		gadget("حافظة جوال شفافة", "Clear Phone Case", 5900, []axis{models},
			"حافظة شفافة مقاومة للاصفرار بزوايا مدعمة ضد السقوط.",
			"A clear case that resists yellowing, with reinforced corners against drops."),
		gadget("واقي شاشة زجاجي", "Tempered Glass Screen Protector", 3900, []axis{models},
			"واقي شاشة من الزجاج المقوى سهل التركيب بدون فقاعات.",
			"A tempered glass screen protector that goes on easily without bubbles."),
		gadget("حامل جوال للسيارة", "Car Phone Mount", 6900, nil,
			"حامل مغناطيسي يُثبت على فتحة التكييف ويدور 360 درجة.",
			"A magnetic mount that clips to the air vent and turns 360 degrees."),
		gadget("شاحن لاسلكي", "Wireless Charging Pad", 9900, nil,
			"قاعدة شحن لاسلكي بقوة 15 واط بتصميم رفيع يناسب المكتب والسرير.",
			"A slim 15 W wireless charging pad for the desk or bedside."),
		gadget("سوار ساعة ذكية سيليكون", "Silicone Smart Watch Band", 4900, []axis{colourAxis("black", "green", "pink", "white")},
			"سوار سيليكون ناعم مقاوم للعرق مع قفل سهل.",
			"A soft, sweat-resistant silicone band with an easy clasp."),
	)

	// Home & Bakhoor.
	home := func(ar, en, material string, price, was int64, axes []axis, descAR, descEN string) product {
		c := categoryByKey("home")
		return product{cat: "home", ar: ar, en: en, brand: "Bayt Al Bakhoor", material: material, price: price, was: was,
			axes: axes, stock: stockVaried, descAR: descAR + " " + c.closeAR, descEN: descEN + " " + c.closeEN}
	}
	add(
		product{
			cat: "home", ar: "مبخرة كهربائية", en: "Electric Incense Burner", brand: "Bayt Al Bakhoor",
			price: 12900, stock: stockIn, grams: 400,
			axes:   []axis{colourAxis("black", "gold")},
			descAR: "مبخرة كهربائية قابلة للشحن تسخّن البخور دون الحاجة إلى فحم، مناسبة للمنزل والمكتب والسيارة.",
			descEN: "A rechargeable electric incense burner that heats bakhoor without charcoal, for the home, the office or the car.",
		},
		product{
			cat: "home", ar: "دلة قهوة نحاسية", en: "Copper Dallah Coffee Pot", brand: "Bayt Al Bakhoor",
			price: 24900, material: "copper", stock: stockIn, grams: 1100,
			descAR: "دلة نحاسية مصنوعة يدوياً بنقوش تقليدية، لتقديم القهوة العربية لضيوفك بأصالة.",
			descEN: "A handcrafted copper dallah with traditional engraving, for serving Arabic coffee to your guests in style.",
		},
		home("مبخرة خشبية مطعمة بالنحاس", "Wooden Incense Burner with Brass Inlay", "wood and brass", 8900, 0, nil,
			"مبخرة تقليدية من الخشب المطعم بالنحاس مع وعاء معدني للفحم.",
			"A traditional wooden burner inlaid with brass, with a metal bowl for the charcoal."),
		home("ترمس قهوة", "Coffee Thermos Flask", "stainless steel", 11900, -1, []axis{colourAxis("black", "gold", "white")},
			"ترمس بسعة لتر يحفظ القهوة حارة حتى 12 ساعة، بزر ضغط سهل للصب.",
			"A one-litre flask that keeps coffee hot for up to 12 hours, with an easy push-button pour."),
		home("طقم فناجين قهوة", "Arabic Coffee Cups Set", "porcelain", 7900, 0, nil,
			"طقم من اثني عشر فنجاناً من البورسلين بحافة ذهبية.",
			"A set of twelve porcelain coffee cups with a gold rim."),
		home("مبخرة فخار تقليدية", "Traditional Clay Incense Burner", "clay", 4900, 0, nil,
			"مبخرة من الفخار الطبيعي مصنوعة يدوياً، تتحمل حرارة الفحم.",
			"A hand-made natural clay burner that takes the heat of charcoal."),
		home("معطر جو بالعود", "Oud Room Spray", "", 6500, 0, nil,
			"معطر جو بالعود والعنبر يمنح المجلس رائحة فاخرة فوراً.",
			"An oud and amber room spray that gives the majlis a rich scent at once."),
		home("سجادة صلاة مبطنة", "Padded Prayer Mat", "velvet", 12900, 0, []axis{colourAxis("green", "maroon", "navy")},
			"سجادة صلاة مبطنة بإسفنج طبي مريح للركبتين، بنقشة هادئة.",
			"A prayer mat padded with orthopaedic foam that is kind to the knees, in a calm pattern."),
		home("فحم بخور سريع الاشتعال", "Quick-Light Bakhoor Charcoal", "", 1500, 0, nil,
			"أقراص فحم تشتعل خلال ثوانٍ وتبقى حارة لمدة ساعة، علبة من 40 قرصاً.",
			"Charcoal discs that light in seconds and stay hot for an hour; a box of 40."),
		home("مجموعة تقديم تمر", "Date Serving Set", "wood and brass", 15900, 0, nil,
			"صينية تقديم خشبية مع ثلاثة أوعية نحاسية للتمر والمكسرات.",
			"A wooden serving tray with three brass bowls for dates and nuts."),
		home("شمعة معطرة بالعنبر", "Amber Scented Candle", "soy wax", 8500, 0, nil,
			"شمعة من شمع الصويا برائحة العنبر والعود، تشتعل حتى 40 ساعة.",
			"A soy wax candle scented with amber and oud that burns for up to 40 hours."),
		product{
			cat: "home", ar: "منتج تجريبي مسودة", en: "Draft Sample Product", brand: "Bayt Al Bakhoor",
			price: 1000, draft: true, stock: stockIn,
			descAR: "منتج تجريبي لم يُنشر بعد، لا يظهر للعملاء.",
			descEN: "A sample product that has not been published yet; customers do not see it.",
		},
	)

	// Food & Coffee.
	food := func(ar, en, brand string, price int64, axes []axis, descAR, descEN string) product {
		c := categoryByKey("food")
		return product{cat: "food", ar: ar, en: en, brand: brand, price: price, axes: axes, stock: stockVaried,
			descAR: descAR + " " + c.closeAR, descEN: descEN + " " + c.closeEN}
	}
	add(
		product{
			cat: "food", ar: "قهوة عربية بالهيل", en: "Arabic Coffee with Cardamom", brand: "Hail Roastery",
			price: 6500, stock: stockIn,
			axes:   []axis{priced(optWeight, value{value: "250 g", code: "250G", delta: -2600}, value{value: "500 g", code: "500G"})},
			descAR: "قهوة عربية شقراء محمصة تحميصاً خفيفاً ومطحونة مع الهيل الفاخر، جاهزة للتحضير في الدلة.",
			descEN: "Light-roast Arabic coffee ground with premium cardamom, ready to brew in a dallah.",
		},
		product{
			cat: "food", ar: "تمر سكري فاخر", en: "Premium Sukkari Dates", brand: "Qassim Farms",
			price: 7500, stock: stockIn,
			axes:   []axis{priced(optWeight, value{value: "1 kg", code: "1KG"}, value{value: "3 kg", code: "3KG", delta: 12500})},
			descAR: "تمر سكري من مزارع القصيم، طري وحلو المذاق، معبأ في علبة محكمة الإغلاق.",
			descEN: "Sukkari dates from the farms of Qassim, soft and sweet, packed in an airtight box.",
		},
		food("تمر عجوة المدينة", "Madinah Ajwa Dates", "Qassim Farms", 9500, nil,
			"عجوة المدينة المنورة الأصلية، داكنة اللون وناعمة القوام. العلبة 1 كيلوغرام.",
			"Genuine Ajwa dates from Madinah, dark and soft. 1 kg box."),
		food("تمر خلاص الأحساء", "Al-Ahsa Khalas Dates", "Qassim Farms", 5500, nil,
			"تمر خلاص من واحة الأحساء بطعم الكراميل، رفيق القهوة العربية. العلبة 1 كيلوغرام.",
			"Khalas dates from the Al-Ahsa oasis with a caramel taste, the companion of Arabic coffee. 1 kg box."),
		food("معمول بالتمر", "Date Ma'amoul", "Hail Roastery", 4500, nil,
			"معمول طازج محشو بعجينة التمر ومخبوز بالسمن، علبة من 24 قطعة.",
			"Fresh ma'amoul filled with date paste and baked with ghee; a box of 24."),
		food("زعفران فاخر", "Premium Saffron Threads", "Hail Roastery", 3900, nil,
			"شعيرات زعفران فاخرة للقهوة والأرز والحلويات. العبوة 2 غرام.",
			"Premium saffron threads for coffee, rice and desserts. 2 g."),
		food("هيل حب أخضر", "Whole Green Cardamom", "Hail Roastery", 4900, nil,
			"حبوب هيل خضراء كبيرة الحجم، عطرية ومناسبة للقهوة العربية. العبوة 250 غراماً.",
			"Large, fragrant green cardamom pods for Arabic coffee. 250 g."),
		food("قهوة مختصة إثيوبية", "Ethiopian Specialty Coffee", "Hail Roastery", 6900, []axis{{name: "Grind", values: []value{{value: "Whole bean", code: "WB"}, {value: "Filter", code: "FLT"}, {value: "Espresso", code: "ESP"}}}},
			"حبوب قهوة مختصة من إثيوبيا بنكهات التوت والياسمين، تحميص متوسط. العبوة 250 غراماً.",
			"Specialty coffee from Ethiopia with notes of berries and jasmine, medium roast. 250 g."),
		food("عسل سدر", "Sidr Honey", "Qassim Farms", 19900, nil,
			"عسل سدر طبيعي كثيف القوام بطعم غني. العبوة 500 غرام.",
			"Thick natural sidr honey with a rich taste. 500 g."),
		food("خلطة شاي كرك بالزعفران", "Saffron Karak Tea Mix", "Hail Roastery", 2900, nil,
			"خلطة شاي كرك جاهزة بالهيل والزعفران، تحضرها في دقائق بالحليب.",
			"A ready karak tea mix with cardamom and saffron, made in minutes with milk."),
		food("مكسرات مشكلة محمصة", "Roasted Mixed Nuts", "Hail Roastery", 5900, nil,
			"تشكيلة من اللوز والكاجو والفستق المحمص بملح خفيف. العبوة 500 غرام.",
			"Lightly salted roasted almonds, cashews and pistachios. 500 g."),
		product{
			cat: "food", ar: "صندوق هدايا رمضان", en: "Ramadan Gift Box", brand: "Qassim Farms",
			price: 24900, draft: true, stock: stockIn,
			descAR: "صندوق يضم تمراً فاخراً وقهوة عربية وبخوراً، يُطرح قبل رمضان.",
			descEN: "A box of premium dates, Arabic coffee and bakhoor, launching before Ramadan.",
		},
	)

	// Kids.
	kid := func(ar, en, material string, price, was int64, axes []axis, descAR, descEN string) product {
		c := categoryByKey("kids")
		return product{cat: "kids", ar: ar, en: en, brand: "Nasij Kids", material: material, price: price, was: was,
			axes: axes, stock: stockVaried, descAR: descAR + " " + c.closeAR, descEN: descEN + " " + c.closeEN}
	}
	add(
		kid("ثوب أولادي أبيض", "Boys' White Thobe", "cotton", 8900, 0, []axis{sizeAxis(sizesKids...)},
			"ثوب أبيض للأولاد بقصة الثوب السعودي، مثالي للعيد والمدرسة.",
			"A white thobe for boys in the Saudi cut, perfect for Eid and school."),
		kid("عباية بناتي مطرزة", "Girls' Embroidered Abaya", "crepe", 12900, 0, []axis{sizeAxis(sizesKids...)},
			"عباية سوداء للبنات بتطريز وردي ناعم على الأكمام.",
			"A black abaya for girls with soft pink embroidery on the sleeves."),
		kid("فستان بناتي للعيد", "Girls' Eid Dress", "tulle", 14900, -1, []axis{colourAxis("pink", "white"), sizeAxis(sizesKids...)},
			"فستان منفوش من التول مع فيونكة عند الخصر، لفرحة العيد.",
			"A full tulle dress with a bow at the waist, for the joy of Eid."),
		kid("جلابية أطفال", "Kids' Jalabiya", "cotton", 7900, 0, []axis{colourAxis("green", "pink"), sizeAxis(sizesKids...)},
			"جلابية قطنية مطرزة للبنات، مريحة لليالي رمضان.",
			"An embroidered cotton jalabiya for girls, comfortable for Ramadan nights."),
		kid("حقيبة مدرسية", "School Backpack", "polyester", 11900, 0, []axis{colourAxis("blue", "pink", "grey")},
			"حقيبة مدرسية خفيفة بظهر مبطن وجيب جانبي لقارورة الماء.",
			"A light school backpack with a padded back and a side pocket for a water bottle."),
		kid("حذاء أطفال مضيء", "Kids' Light-Up Sneakers", "mesh", 9900, 0, []axis{sizeAxis("28", "29", "30", "31", "32", "33")},
			"حذاء رياضي بأضواء ملونة في النعل تضيء مع كل خطوة، بلاصق سهل.",
			"Sneakers whose soles light up with every step, with easy hook-and-loop straps."),
		kid("شماغ أطفال", "Kids' Shemagh", "cotton", 4900, 0, nil,
			"شماغ أحمر بمقاس صغير للأولاد، مع عقال أسود.",
			"A small red shemagh for boys, with a black agal."),
		kid("طقم ملابس قطني للمواليد", "Newborn Cotton Outfit Set", "organic cotton", 8900, 0, []axis{sizeAxis(sizesBaby...)},
			"طقم من خمس قطع من القطن العضوي للمواليد في علبة هدية.",
			"A five-piece organic cotton set for newborns in a gift box."),
		kid("لعبة تعليمية للحروف العربية", "Arabic Alphabet Learning Toy", "wood", 6900, 0, nil,
			"لوح خشبي بالحروف العربية يساعد الطفل على تعلم القراءة باللعب.",
			"A wooden Arabic alphabet board that helps children learn to read through play."),
		kid("مجموعة قصص أطفال بالعربية", "Arabic Children's Storybook Set", "paper", 5900, 0, nil,
			"عشر قصص مصورة بالعربية الفصحى المبسطة للأعمار من 4 إلى 8 سنوات.",
			"Ten illustrated stories in simple Modern Standard Arabic for ages 4 to 8."),
		kid("ساعة ذكية للأطفال", "Kids' Smart Watch", "silicone", 19900, 0, []axis{colourAxis("blue", "pink")},
			"ساعة ذكية بتحديد الموقع والاتصال بأرقام العائلة فقط، لراحة بال الوالدين.",
			"A smart watch with location tracking that calls family numbers only, for parents' peace of mind."),
		kid("بيجامة أطفال قطن", "Kids' Cotton Pyjamas", "cotton", 6900, 0, []axis{colourAxis("blue", "pink"), sizeAxis(sizesKids...)},
			"بيجامة قطنية ناعمة برسومات لطيفة لنوم مريح.",
			"Soft cotton pyjamas with cheerful prints for a comfortable night."),
	)
	return ps
}
